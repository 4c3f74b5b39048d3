//! `/api/v1/fixtures`: the payload fixture library — list the folder, choose it, preview and send.

use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiJson;
use super::AppState;
use crate::fixtures::template::{self, TemplateContext};
use crate::fixtures::{self, Fixture, FixtureFile};
use crate::ingest::{self, Accepted, NewEvent};
use crate::model::TriggerOut;

/// The fixture folder and what it holds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FixtureLibrary {
    /// Absolute path of the folder in use.
    pub dir: String,
    /// True when no folder was chosen: `<data dir>/fixtures`.
    pub is_default: bool,
    /// False when the folder is missing (then `files` is empty).
    pub exists: bool,
    /// Every `*.json` file, sorted by path; broken ones carry their `error`.
    pub files: Vec<FixtureFile>,
}

/// The body of `PUT /api/v1/fixtures/folder`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderIn {
    /// An absolute path to an existing folder; null goes back to the default.
    #[schema(example = "/home/me/project/fixtures")]
    pub dir: Option<String>,
}

/// Which fixture to send or preview.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FixtureSelection {
    /// The file's `path` as listed by `GET /api/v1/fixtures`.
    #[schema(example = "orders/created.json")]
    pub path: String,
    /// One variation's name (`"1"`, `"2"`, …); null or absent means all of them, in order.
    #[serde(default)]
    pub variation: Option<String>,
}

/// The events created by a send, one per variation, in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SentFixture {
    pub events: Vec<TriggerOut>,
}

/// A preview of what a send would fire, templates rendered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RenderedFixture {
    pub event_name: String,
    pub payloads: Vec<RenderedPayload>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RenderedPayload {
    pub variation: String,
    pub payload: serde_json::Value,
}

/// List the fixture library
#[utoipa::path(get, path = "/api/v1/fixtures", tag = "fixtures", security(("bearer" = [])),
    responses((status = 200, body = FixtureLibrary), (status = 401, body = ErrorBody)))]
pub async fn get_library(State(state): State<AppState>) -> ApiResult<Json<FixtureLibrary>> {
    Ok(Json(library(&state).await?))
}

/// Choose the fixture folder
///
/// The folder is watched from now on: changes in it are announced as `fixtures.changed`.
#[utoipa::path(put, path = "/api/v1/fixtures/folder", tag = "fixtures", security(("bearer" = [])),
    request_body = FolderIn,
    responses(
        (status = 200, description = "The library of the new folder", body = FixtureLibrary),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, description = "The path is relative, missing or not a folder", body = ErrorBody),
    ))]
pub async fn put_folder(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<FolderIn>,
) -> ApiResult<Json<FixtureLibrary>> {
    let chosen = match body.dir {
        None => None,
        Some(dir) => Some(check_folder(&dir).await?),
    };
    fixtures::save_dir(&state.store, chosen.as_deref()).await?;
    let dir = chosen.unwrap_or_else(|| {
        let default = fixtures::default_dir(&state.data_dir);
        // Recreated if it was deleted meanwhile; a failure shows as `exists: false`.
        let _ = std::fs::create_dir_all(&default);
        default
    });
    state.fixtures.set_dir(dir);
    Ok(Json(library(&state).await?))
}

/// Send a fixture
///
/// Renders its templates (one `{{seq}}` counter per call) and fires one event per selected
/// variation, exactly as the trigger route does: 202 once every event is committed.
#[utoipa::path(post, path = "/api/v1/fixtures/send", tag = "fixtures", security(("bearer" = [])),
    request_body = FixtureSelection,
    responses(
        (status = 202, description = "Committed; delivery starts in the background", body = SentFixture),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such file in the library, or no such variation", body = ErrorBody),
        (status = 422, description = "The file is not a valid fixture, or a template fails", body = ErrorBody),
        (status = 503, description = "The database cannot take writes; nothing more was stored", body = ErrorBody),
    ))]
pub async fn send_fixture(
    State(state): State<AppState>,
    ApiJson(selection): ApiJson<FixtureSelection>,
) -> ApiResult<(StatusCode, Json<SentFixture>)> {
    let rendered = render_selection(&state, selection).await?;
    let mut events = Vec::with_capacity(rendered.payloads.len());
    for RenderedPayload { payload, .. } in rendered.payloads {
        let event =
            NewEvent { event_name: rendered.event_name.clone(), payload: payload.to_string(), idempotency_key: None };
        match ingest::accept(&state.store, &state.bus, &state.delivery, event).await? {
            Accepted::Created(out) | Accepted::Replayed(out) => events.push(out),
        }
    }
    Ok((StatusCode::ACCEPTED, Json(SentFixture { events })))
}

/// Preview a fixture
///
/// Renders its templates as a send would, and sends nothing.
#[utoipa::path(post, path = "/api/v1/fixtures/render", tag = "fixtures", security(("bearer" = [])),
    request_body = FixtureSelection,
    responses(
        (status = 200, body = RenderedFixture),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such file in the library, or no such variation", body = ErrorBody),
        (status = 422, description = "The file is not a valid fixture, or a template fails", body = ErrorBody),
    ))]
pub async fn render_fixture(
    State(state): State<AppState>,
    ApiJson(selection): ApiJson<FixtureSelection>,
) -> ApiResult<Json<RenderedFixture>> {
    Ok(Json(render_selection(&state, selection).await?))
}

async fn library(state: &AppState) -> ApiResult<FixtureLibrary> {
    let chosen = fixtures::chosen_dir(&state.store).await?;
    let is_default = chosen.is_none();
    let dir = chosen.unwrap_or_else(|| fixtures::default_dir(&state.data_dir));
    let (exists, files) = blocking({
        let dir = dir.clone();
        move || (dir.is_dir(), fixtures::scan(&dir))
    })
    .await?;
    Ok(FixtureLibrary { dir: dir.to_string_lossy().into_owned(), is_default, exists, files })
}

async fn check_folder(dir: &str) -> ApiResult<PathBuf> {
    let path = PathBuf::from(dir);
    if !path.is_absolute() {
        return Err(ApiError::invalid_field("dir", format!("{dir:?} is not an absolute path")));
    }
    let probe = path.clone();
    match blocking(move || std::fs::metadata(&probe)).await? {
        Ok(meta) if meta.is_dir() => Ok(path),
        Ok(_) => Err(ApiError::invalid_field("dir", format!("{dir:?} is not a folder"))),
        Err(error) => Err(ApiError::invalid_field("dir", format!("cannot open the folder {dir:?}: {error}"))),
    }
}

/// The selected variations of the file at `selection.path`, templates rendered with one context.
async fn render_selection(state: &AppState, selection: FixtureSelection) -> ApiResult<RenderedFixture> {
    let dir = fixtures::current_dir(&state.store, &state.data_dir).await?;
    let fixture = load(dir, selection.path).await?;
    let selected: Vec<_> = match &selection.variation {
        None => fixture.variations.iter().collect(),
        Some(name) => {
            let one = fixture.variations.iter().find(|variation| &variation.name == name).ok_or_else(|| {
                let names: Vec<&str> = fixture.variations.iter().map(|variation| variation.name.as_str()).collect();
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no variation {name:?} in this fixture (it has {})", names.join(", ")),
                )
            })?;
            vec![one]
        }
    };
    let context = TemplateContext::default();
    let mut payloads = Vec::with_capacity(selected.len());
    for variation in selected {
        let payload = template::render(&variation.payload, &context).map_err(|error| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "template_failed",
                format!("variation {}: {}", variation.name, error.message),
            )
        })?;
        payloads.push(RenderedPayload { variation: variation.name.clone(), payload });
    }
    Ok(RenderedFixture { event_name: fixture.event_name, payloads })
}

/// The parsed fixture at `path`, which must be one that the library lists.
async fn load(dir: PathBuf, path: String) -> ApiResult<Fixture> {
    let shown = path.clone();
    let file = blocking(move || fixtures::find(Path::new(&dir), &path)).await?;
    let Some(file) = file else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no fixture file {shown:?} in the folder; see GET /api/v1/fixtures"),
        ));
    };
    match (file.fixture, file.error) {
        (Some(fixture), _) => Ok(fixture),
        (None, error) => {
            let message = error.map_or_else(|| "unreadable".to_owned(), |error| error.message);
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fixture", format!("{shown}: {message}")))
        }
    }
}

/// File system work off the async threads.
async fn blocking<R: Send + 'static>(job: impl FnOnce() -> R + Send + 'static) -> ApiResult<R> {
    tokio::task::spawn_blocking(job).await.map_err(|error| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("the file task failed: {error}"))
    })
}
