//! Catchers in the endpoints document. Endpoint ids are new on import, so a catcher names
//! its endpoints by their place in the document's `endpoints` list.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{CatcherId, EndpointId};
use crate::model::catcher::validate_name;
use crate::model::time::from_ms;
use crate::model::{Catcher, Endpoint, ResponseScript, ValidationError, VerifySpec};

/// One catcher, as exported and imported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportedCatcher {
    #[schema(example = "orders")]
    pub name: String,
    #[serde(default)]
    pub script: ResponseScript,
    /// Whose signatures it checks; null: none.
    #[serde(default)]
    pub verify: Option<ExportedVerify>,
    /// The index in `endpoints` of the endpoint created with it (`subscribe`); null: none.
    #[serde(default)]
    pub endpoint: Option<u32>,
}

/// A catcher's signature check. At most one field is set; `{}` means its fixed secret was
/// withheld (exported without `include_secrets`), and it imports without a check.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportedVerify {
    /// A fixed secret; only with `include_secrets=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The index in `endpoints` of the endpoint whose secrets it checks with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<u32>,
}

/// Each exported endpoint's index, by id.
pub fn endpoint_indexes<'a>(ids: impl IntoIterator<Item = &'a EndpointId>) -> HashMap<EndpointId, u32> {
    (0u32..).zip(ids).map(|(index, id)| (id.clone(), index)).collect()
}

impl ExportedCatcher {
    pub fn new(catcher: Catcher, indexes: &HashMap<EndpointId, u32>, with_secrets: bool) -> Self {
        let index_of = |id: Option<&EndpointId>| id.and_then(|id| indexes.get(id).copied());
        let verify = catcher.verify.map(|verify| ExportedVerify {
            secret: verify.secret.filter(|_| with_secrets),
            // An endpoint deleted since is not in the document: the check is dropped.
            endpoint: index_of(verify.endpoint_id.as_ref()),
        });
        Self { name: catcher.name, script: catcher.script, verify, endpoint: index_of(catcher.endpoint_id.as_ref()) }
    }

    /// The catcher to store, with a new id; `endpoints` are the document's, with their new ids.
    /// Errors name the field as `catchers[{index}].…`.
    pub fn into_catcher(
        self,
        index: usize,
        endpoints: &[Endpoint],
        now: DateTime<Utc>,
    ) -> Result<Catcher, ValidationError> {
        let prefix = format!("catchers[{index}]");
        let named =
            |invalid: ValidationError| ValidationError::new(format!("{prefix}.{}", invalid.field), invalid.message);
        let endpoint_at = |field: &str, at: u32| {
            endpoints.get(at as usize).map(|endpoint| endpoint.id.clone()).ok_or_else(|| {
                ValidationError::new(format!("{prefix}.{field}"), format!("no endpoints[{at}] in this document"))
            })
        };
        validate_name(&self.name).map_err(named)?;
        self.script.validate(&format!("{prefix}.script"))?;
        let verify = match self.verify.unwrap_or_default() {
            ExportedVerify { secret: None, endpoint: None } => None,
            ExportedVerify { secret: Some(secret), endpoint: None } => {
                let spec = VerifySpec { secret: Some(secret), endpoint_id: None };
                spec.validate().map_err(named)?;
                Some(spec)
            }
            ExportedVerify { secret: None, endpoint: Some(at) } => {
                Some(VerifySpec { secret: None, endpoint_id: Some(endpoint_at("verify.endpoint", at)?) })
            }
            ExportedVerify { secret: Some(_), endpoint: Some(_) } => {
                return Err(ValidationError::new(
                    format!("{prefix}.verify"),
                    "give at most one of `secret` or `endpoint`",
                ))
            }
        };
        let endpoint_id = self.endpoint.map(|at| endpoint_at("endpoint", at)).transpose()?;
        // Stored in milliseconds: the same instant a later read gives.
        let now = from_ms(now.timestamp_millis());
        Ok(Catcher {
            id: CatcherId::generate(),
            name: self.name,
            script: self.script,
            verify,
            endpoint_id,
            created_at: now,
            updated_at: now,
        })
    }
}

/// Validates and converts a document's catchers; a name twice in it is invalid.
pub fn catchers_to_import(
    exported: Vec<ExportedCatcher>,
    endpoints: &[Endpoint],
    now: DateTime<Utc>,
) -> Result<Vec<Catcher>, ValidationError> {
    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(exported.len());
    for (index, catcher) in exported.into_iter().enumerate() {
        if !names.insert(catcher.name.clone()) {
            return Err(ValidationError::new(format!("catchers[{index}].name"), "this name is in the document twice"));
        }
        out.push(catcher.into_catcher(index, endpoints, now)?);
    }
    Ok(out)
}
