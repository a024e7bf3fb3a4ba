//! The edge and the registry of one account: ELBv2, WAFv2 and ECR per audited region,
//! CloudFront and the CLOUDFRONT-scope web ACLs once (they live in us-east-1). Each service's
//! reading is in its own module; this one runs them side by side.

use std::sync::Arc;

use aws_smithy_runtime_api::client::http::SharedHttpClient;
use checks::facts::aws::Listing;
use checks::facts::aws_edge::{Edge, EdgeRegion};
use checks::settings::AwsTarget;

use super::collector::{Ctx, spawn_all};
use super::{client, cloudfront, ecr, elb, waf};

/// CloudFront's web ACLs are read through the us-east-1 WAFv2 endpoint, whatever the regions.
const CLOUDFRONT_REGION: &str = "us-east-1";

pub(crate) async fn account(
    target: AwsTarget,
    regions: Vec<String>,
    http: SharedHttpClient,
    ctx: Arc<Ctx>,
) -> Edge {
    let per_region: Vec<_> = regions
        .iter()
        .map(|r| {
            let (target, http, ctx, r) = (target.clone(), http.clone(), ctx.clone(), r.clone());
            async move {
                let conf = client::load(&target, Some(&r), http).await;
                region(&conf, r, &ctx).await
            }
        })
        .collect();
    let names = regions.clone();
    let global_conf = client::load(&target, Some(CLOUDFRONT_REGION), http).await;
    let distributions = tokio::spawn(cloudfront::distributions(global_conf.clone(), ctx.clone()));
    let cloudfront_acls = tokio::spawn(waf::web_acls(
        global_conf,
        waf::Scope::Cloudfront,
        ctx.clone(),
    ));
    let regions = spawn_all(per_region, |i, cause| lost_region(&names[i], &cause)).await;
    Edge {
        regions,
        distributions: joined(distributions.await),
        cloudfront_web_acls: joined(cloudfront_acls.await),
    }
}

async fn region(conf: &aws_config::SdkConfig, name: String, ctx: &Arc<Ctx>) -> EdgeRegion {
    ctx.note(format!("edge {name}"));
    let lbs = tokio::spawn(elb::region(conf.clone(), ctx.clone()));
    let acls = tokio::spawn(waf::web_acls(
        conf.clone(),
        waf::Scope::Regional,
        ctx.clone(),
    ));
    let repos = tokio::spawn(ecr::region(conf.clone(), ctx.clone()));
    let (load_balancers, ssl_policies) = lbs.await.unwrap_or_else(|e| (failed(&e), Vec::new()));
    let (repositories, registry_scanning) = repos.await.unwrap_or_else(|e| {
        let listing = failed(&e);
        let read = checks::facts::aws::Read::Error {
            message: format!("the collector task failed: {e}"),
            call: checks::facts::aws::Call::default(),
        };
        (listing, read)
    });
    EdgeRegion {
        name,
        load_balancers,
        ssl_policies,
        web_acls: joined(acls.await),
        repositories,
        registry_scanning,
    }
}

fn failed<T>(e: &tokio::task::JoinError) -> Listing<T> {
    Listing::failed(format!("the collector task failed: {e}"))
}

/// A listing task's result; a task that panicked is a listing error, not an empty listing.
fn joined<T>(r: Result<Listing<T>, tokio::task::JoinError>) -> Listing<T> {
    r.unwrap_or_else(|e| failed(&e))
}

/// The whole edge collector failed: every listing says so.
pub(crate) fn lost(regions: &[String], cause: &str) -> Edge {
    let cause = format!("the edge collector failed: {cause}");
    Edge {
        regions: regions.iter().map(|r| lost_region(r, &cause)).collect(),
        distributions: error_listing(&cause),
        cloudfront_web_acls: error_listing(&cause),
    }
}

fn error_listing<T>(cause: &str) -> Listing<T> {
    Listing::failed(cause)
}

fn lost_region(name: &str, cause: &str) -> EdgeRegion {
    EdgeRegion {
        name: name.to_owned(),
        load_balancers: error_listing(cause),
        ssl_policies: Vec::new(),
        web_acls: error_listing(cause),
        repositories: error_listing(cause),
        registry_scanning: checks::facts::aws::Read::Error {
            message: cause.to_owned(),
            call: checks::facts::aws::Call::default(),
        },
    }
}

/// A denied call, which the emulator cannot produce (it does not enforce IAM by default),
/// against a scripted HTTP client in the collector's own configuration: the listing and the
/// read become errors naming the IAM action to grant, never empty answers.
#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use super::super::collector::Ctx;
    use super::super::tests::unit_config;
    use super::super::{ecr, waf};
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use checks::facts::aws::Read;

    /// Answers every request with the same JSON-protocol AccessDeniedException; records the
    /// `X-Amz-Target` of each request.
    #[derive(Debug, Clone, Default)]
    struct Denying {
        targets: Arc<Mutex<VecDeque<String>>>,
    }

    impl HttpConnector for Denying {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let target = request.headers().get("x-amz-target").unwrap_or_default();
            self.targets.lock().unwrap().push_back(target.to_owned());
            let body = r#"{"__type":"AccessDeniedException","message":"not authorized"}"#;
            let response =
                HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body));
            HttpConnectorFuture::ready(Ok(response))
        }
    }

    #[test]
    fn denied_ecr_and_waf_calls_are_errors_naming_the_action() {
        let denying = Denying::default();
        let (rt, conf) = unit_config("http://edge.unit.invalid", denying.clone());
        let (repos, scanning, acls) = rt.block_on(async {
            let ctx = Arc::new(Ctx::new(4));
            let (repos, scanning) = ecr::region(conf.clone(), ctx.clone()).await;
            let acls = waf::web_acls(conf, waf::Scope::Regional, ctx).await;
            (repos, scanning, acls)
        });
        assert!(repos.items.is_empty());
        assert_eq!(
            repos.error.as_deref(),
            Some(
                "ecr:DescribeRepositories was denied (AccessDeniedException): grant the IAM action ecr:DescribeRepositories"
            )
        );
        let Read::Error { message, .. } = scanning else {
            panic!("expected an error, got {scanning:?}")
        };
        assert!(
            message.contains("grant the IAM action ecr:GetRegistryScanningConfiguration"),
            "{message}"
        );
        assert!(acls.items.is_empty());
        assert!(
            acls.error
                .unwrap_or_default()
                .contains("grant the IAM action wafv2:ListWebACLs")
        );
        let targets: Vec<String> = denying.targets.lock().unwrap().iter().cloned().collect();
        assert_eq!(
            targets,
            [
                "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
                "AmazonEC2ContainerRegistry_V20150921.GetRegistryScanningConfiguration",
                "AWSWAF_20190729.ListWebACLs",
            ],
            "each denied call is sent once, not retried"
        );
    }
}
