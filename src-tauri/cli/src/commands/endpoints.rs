//! `hooky endpoints add|list|remove`

use anyhow::Result;
use clap::Subcommand;
use hooky_engine::api::EndpointList;
use hooky_engine::model::Endpoint;
use reqwest::Method;
use serde_json::json;

use crate::client::{url_encode, Client};
use crate::{output, ClientArgs};

#[derive(Subcommand, Debug)]
pub enum EndpointsCommand {
    /// Subscribe a URL to events
    Add {
        url: String,
        /// An event filter pattern (repeatable): order.created, order.*, **
        #[arg(long = "filter")]
        filters: Vec<String>,
        #[arg(long, default_value = "")]
        name: String,
        /// Timeout in milliseconds
        #[arg(long)]
        timeout_ms: Option<u32>,
        /// Seconds to wait before each retry, e.g. 5,300,1800 (default: the standard schedule)
        #[arg(long, value_delimiter = ',', value_name = "SECS,...", conflicts_with = "no_retries")]
        retry_schedule: Option<Vec<u32>>,
        /// Make one attempt per delivery and never retry
        #[arg(long)]
        no_retries: bool,
        /// Accept any TLS certificate from an https:// receiver, e.g. a self-signed one (as curl -k)
        #[arg(long, short = 'k')]
        insecure: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete an endpoint; its past deliveries stay in the event log
    Remove {
        id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List endpoints
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
}

pub async fn run(command: EndpointsCommand) -> Result<()> {
    match command {
        EndpointsCommand::Add {
            url,
            filters,
            name,
            timeout_ms,
            retry_schedule,
            no_retries,
            insecure,
            client: args,
        } => {
            let mut body = json!({ "url": url, "name": name });
            if !filters.is_empty() {
                body["event_filter"] = json!(filters);
            }
            if let Some(timeout_ms) = timeout_ms {
                body["timeout_ms"] = json!(timeout_ms);
            }
            if no_retries {
                body["retry_schedule"] = json!([]);
            } else if let Some(schedule) = retry_schedule {
                body["retry_schedule"] = json!(schedule);
            }
            if insecure {
                body["verify_tls"] = json!(false);
            }
            let endpoint: Endpoint =
                Client::new(&args)?.request(Method::POST, "/api/v1/endpoints", Some(&body)).await?;
            if args.json {
                return output::json(&endpoint);
            }
            println!("{} {} [{}]", endpoint.id, shown_url(&endpoint), endpoint.event_filter.join(", "));
            Ok(())
        }
        EndpointsCommand::Remove { id, client: args } => {
            let path = format!("/api/v1/endpoints/{}", url_encode(&id));
            let _: serde_json::Value = Client::new(&args)?.request(Method::DELETE, &path, None::<&()>).await?;
            if args.json {
                return output::json(&json!({ "deleted": id }));
            }
            println!("{id} removed");
            Ok(())
        }
        EndpointsCommand::List { client: args } => {
            let list: EndpointList = Client::new(&args)?.get("/api/v1/endpoints").await?;
            if args.json {
                return output::json(&list.data);
            }
            let rows: Vec<Vec<String>> = list
                .data
                .iter()
                .map(|ep| {
                    vec![
                        ep.id.to_string(),
                        if ep.enabled { "enabled".into() } else { "disabled".into() },
                        ep.event_filter.join(","),
                        shown_url(ep),
                    ]
                })
                .collect();
            output::table(&["ID", "STATE", "FILTER", "URL"], &rows);
            Ok(())
        }
    }
}

/// The URL, flagged when an https:// receiver's certificate is not checked.
fn shown_url(endpoint: &Endpoint) -> String {
    if !endpoint.verify_tls && endpoint.url.starts_with("https://") {
        format!("{} (TLS certificate not checked)", endpoint.url)
    } else {
        endpoint.url.clone()
    }
}
