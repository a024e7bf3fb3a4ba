//! Live AWS accounts (`[[target.aws]]`): RDS and S3 state read with the AWS SDK, read-only.
//!
//! Every call goes through [`Ctx::call`]: it is allowed only if the call table says a check
//! needs it, waits for one of `[aws] max_in_flight` permits (shared by all accounts and
//! regions), and records the action, request id and time of the answer as evidence. A call
//! that fails becomes a one-line error in the facts; the rest of the scan goes on.

pub mod calls;
#[cfg(feature = "aws")]
mod client;
#[cfg(feature = "aws")]
mod cloudfront;
#[cfg(feature = "aws")]
mod cloudtrail;
#[cfg(feature = "aws")]
mod ec2;
#[cfg(feature = "aws")]
mod ecr;
#[cfg(feature = "aws")]
mod edge;
#[cfg(feature = "aws")]
mod elb;
#[cfg(feature = "aws")]
mod guardduty;
#[cfg(feature = "aws")]
mod infra;
#[cfg(feature = "aws")]
mod kms;
#[cfg(feature = "aws")]
mod logs;
#[cfg(feature = "aws")]
mod rds;
#[cfg(feature = "aws")]
mod s3;
#[cfg(feature = "aws")]
mod secrets;
#[cfg(feature = "aws")]
mod waf;

#[cfg(feature = "aws")]
use checks::facts::aws::Account;
#[cfg(feature = "aws")]
use checks::resolve::AwsOptions;
#[cfg(feature = "aws")]
use checks::settings::AwsTarget;

mod source;
pub use source::Accounts;

/// Reads every given target concurrently (each call under the shared `[aws] max_in_flight`
/// limit); one [`Account`] per target, in the given order.
#[cfg(feature = "aws")]
pub async fn collect(
    targets: Vec<AwsTarget>,
    options: &AwsOptions,
    progress: crate::engine::Progress,
) -> Vec<Account> {
    let ctx = std::sync::Arc::new(Ctx::with_progress(
        options.max_in_flight.get(),
        progress.clone(),
    ));
    let tasks: Vec<_> = (targets.iter())
        .map(|target| tokio::spawn(account(target.clone(), ctx.clone())))
        .collect();
    let mut accounts = Vec::new();
    for (task, target) in tasks.into_iter().zip(&targets) {
        accounts.push(task.await.unwrap_or_else(|e| Account {
            target: target.name.clone(),
            error: Some(format!("the collector stopped unexpectedly: {e}")),
            ..Account::default()
        }));
        progress.target_done();
    }
    accounts
}

#[cfg(feature = "aws")]
pub(crate) use collector::*;

#[cfg(feature = "aws")]
mod collector {
    use std::error::Error as StdError;
    use std::future::Future;
    use std::sync::Arc;

    use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
    use aws_sdk_sts::operation::RequestId;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use checks::facts::aws::{Account, Call, Read};
    use checks::settings::AwsTarget;
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    use tokio::sync::Semaphore;

    use super::calls::{Api, needed};
    use super::{client, edge, infra, rds, s3};

    /// Error codes that mean "you may not", named so the message can say which IAM action to
    /// grant.
    const DENIED: &[&str] = &[
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "AllAccessDisabled",
    ];

    /// State shared by every call of a scan.
    pub(crate) struct Ctx {
        limit: Semaphore,
        progress: crate::engine::Progress,
    }

    /// The result of one call: the output or the failure, and the evidence of the call.
    pub(crate) struct Answer<T> {
        pub result: Result<T, Failure>,
        pub call: Call,
    }

    /// One page of a paginated listing, or the end of it.
    pub(crate) enum Page<O> {
        Done,
        Next(O),
    }

    /// Pages one listing may take (a million items at the services' smallest pages of 100,
    /// 500 000 at CloudWatch Logs' 50): a listing that keeps handing back tokens past it is
    /// a fault, and an error, not a scan without end.
    pub(crate) const MAX_PAGES: usize = 10_000;

    /// Drains a paginator, one permit per page; items keep the call of their page. Evaluates to
    /// the listing and the call of the last page (the failed one when a page fails).
    ///
    /// The SDK's paginators end quietly when a service repeats the token they sent, which would
    /// read as a complete listing; here they go on, and [`MAX_PAGES`] makes a listing without
    /// end an error.
    macro_rules! paginate {
        ($ctx:expr, $api:expr, $paginator:expr, |$out:ident, $call:ident| $each:expr) => {{
            let mut pages = $paginator.stop_on_duplicate_token(false).send();
            let mut listing = checks::facts::aws::Listing::default();
            let mut last = None;
            let mut read = 0_usize;
            loop {
                let answer = $ctx
                    .call($api, async {
                        match pages.next().await {
                            None => Ok($crate::sources::aws::Page::Done),
                            Some(r) => r.map($crate::sources::aws::Page::Next),
                        }
                    })
                    .await;
                match answer.result {
                    Ok($crate::sources::aws::Page::Done) => break,
                    Ok($crate::sources::aws::Page::Next(_))
                        if read == $crate::sources::aws::MAX_PAGES =>
                    {
                        listing.error = Some(format!(
                            "{} returned more than {} pages",
                            $api.action(),
                            $crate::sources::aws::MAX_PAGES
                        ));
                        last = Some(answer.call);
                        break;
                    }
                    Ok($crate::sources::aws::Page::Next($out)) => {
                        read += 1;
                        let $call = &answer.call;
                        listing.items.extend($each);
                        last = Some(answer.call);
                    }
                    Err(f) => {
                        listing.error = Some(f.message);
                        last = Some(answer.call);
                        break;
                    }
                }
            }
            listing.call.clone_from(&last);
            (listing, last)
        }};
    }
    pub(crate) use paginate;

    impl<O: RequestId> RequestId for Page<O> {
        fn request_id(&self) -> Option<&str> {
            match self {
                Page::Done => None,
                Page::Next(out) => out.request_id(),
            }
        }
    }

    /// A string the reply may omit; empty when omitted.
    pub(crate) fn s(v: Option<&str>) -> String {
        v.unwrap_or_default().to_owned()
    }

    /// The name of an enum value the reply may omit (`KeyState`, `LoadBalancerTypeEnum`…), as
    /// the API spells it; empty when omitted.
    pub(crate) fn name<T: AsRef<str>>(v: Option<&T>) -> String {
        v.map_or_else(String::new, |v| v.as_ref().to_owned())
    }

    /// The string `field` of each item that carries one, in order.
    pub(crate) fn strings_of<T>(items: &[T], field: impl Fn(&T) -> Option<&str>) -> Vec<String> {
        items
            .iter()
            .filter_map(|item| field(item).map(str::to_owned))
            .collect()
    }

    /// Why a call returned no output.
    pub(crate) struct Failure {
        /// The service's error code (`NoSuchBucketPolicy`…), when it answered.
        pub code: Option<String>,
        /// One line naming the action and the cause.
        pub message: String,
    }

    impl Ctx {
        #[cfg(test)]
        pub(crate) fn new(max_in_flight: usize) -> Self {
            Ctx::with_progress(max_in_flight, crate::engine::Progress::hidden())
        }

        /// The calls' shared limit; each answered call counts on `progress`.
        pub(crate) fn with_progress(
            max_in_flight: usize,
            progress: crate::engine::Progress,
        ) -> Self {
            Ctx {
                limit: Semaphore::new(max_in_flight.max(1)),
                progress,
            }
        }

        /// Makes one call under the in-flight limit and records its evidence. A call no check
        /// needs is refused without being sent.
        pub(crate) async fn call<T, E, F>(&self, api: Api, send: F) -> Answer<T>
        where
            F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
            T: RequestId,
            E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        {
            if !needed(api) {
                return Answer {
                    result: Err(Failure {
                        code: None,
                        message: format!("{} is not needed by any check", api.action()),
                    }),
                    call: evidence(api, None),
                };
            }
            let result = {
                let _permit = self.limit.acquire().await;
                send.await
            };
            self.progress.count("call", 1);
            let call = evidence(api, result.request_id());
            Answer {
                result: result.map_err(|e| failure(api, &e)),
                call,
            }
        }

        pub(crate) fn note(&self, msg: impl Into<std::borrow::Cow<'static, str>>) {
            self.progress.doing(msg);
        }
    }

    fn evidence(api: Api, request_id: Option<&str>) -> Call {
        Call {
            action: api.action().to_owned(),
            request_id: request_id.map(str::to_owned),
            at: now(),
        }
    }

    /// The time a response arrived, RFC 3339 with milliseconds: evidence, not a judgement input
    /// other than through the facts.
    fn now() -> String {
        let t = OffsetDateTime::now_utc();
        let t = t
            .replace_nanosecond(u32::from(t.millisecond()) * 1_000_000)
            .unwrap_or(t);
        t.format(&Rfc3339).unwrap_or_default()
    }

    fn failure<E>(api: Api, err: &SdkError<E, HttpResponse>) -> Failure
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let action = api.action();
        let code = err.code().map(str::to_owned);
        let message = match (code.as_deref(), err.message()) {
            (Some(c), _) if DENIED.contains(&c) => {
                format!("{action} was denied ({c}): grant the IAM action {action}")
            }
            (Some(c), Some(m)) => format!("{action} failed: {c}: {m}"),
            (Some(c), None) => format!("{action} failed: {c}"),
            (None, _) => format!("{action} failed: {}", cause_chain(err)),
        };
        Failure {
            code,
            message: message.replace(['\n', '\r'], " "),
        }
    }

    /// The cause chain, cut: long parser messages say what happened in their first words.
    fn cause_chain(err: &(dyn StdError + 'static)) -> String {
        crate::sources::clipped(crate::sources::cause_chain(err), 300)
    }

    impl<T> Answer<T> {
        /// The answer as a fact: a value, "not configured" when the code is one of `absent`, or
        /// an error.
        pub(crate) fn read<V>(self, absent: &[&str], value: impl FnOnce(T) -> V) -> Read<V> {
            match self.result {
                Ok(out) => Read::Value {
                    value: value(out),
                    call: self.call,
                },
                Err(f) if f.code.as_deref().is_some_and(|c| absent.contains(&c)) => Read::Absent {
                    code: f.code.unwrap_or_default(),
                    call: self.call,
                },
                Err(f) => Read::Error {
                    message: f.message,
                    call: self.call,
                },
            }
        }

        /// Like [`Answer::read`] for a value the reply may omit: an omitted value was not
        /// read, so it is an error naming `what`, never a default that could pass.
        pub(crate) fn read_some<V>(
            self,
            absent: &[&str],
            what: &str,
            value: impl FnOnce(T) -> Option<V>,
        ) -> Read<V> {
            match self.read(absent, value) {
                Read::Value { value: None, call } => Read::Error {
                    message: format!("the reply holds no {what}"),
                    call,
                },
                Read::Value {
                    value: Some(value),
                    call,
                } => Read::Value { value, call },
                Read::Absent { code, call } => Read::Absent { code, call },
                Read::Error { message, call } => Read::Error { message, call },
                Read::NotRead => Read::NotRead,
            }
        }
    }

    /// One target: identity first (it keys every resource), then RDS per region and S3,
    /// concurrently.
    pub(super) async fn account(target: AwsTarget, ctx: Arc<Ctx>) -> Account {
        let mut account = Account {
            target: target.name.clone(),
            ..Account::default()
        };
        let http = client::http_client();
        let first = target.regions.first().map(String::as_str);
        let base = client::load(&target, first, http.clone()).await;
        let Some(home) = base.region().map(ToString::to_string) else {
            account.error = Some(
                "no region: set `regions` in [[target.aws]], AWS_REGION or the profile's region"
                    .to_owned(),
            );
            return account;
        };
        let sts = aws_sdk_sts::Client::new(&base);
        let who = ctx
            .call(Api::StsGetCallerIdentity, sts.get_caller_identity().send())
            .await;
        let arn = match who.result {
            Ok(out) => {
                out.account()
                    .unwrap_or_default()
                    .clone_into(&mut account.account_id);
                out.arn().unwrap_or_default().to_owned()
            }
            Err(f) => {
                account.error = Some(f.message);
                return account;
            }
        };
        account.partition = arn.split(':').nth(1).unwrap_or("aws").to_owned();
        ctx.note(format!("reading account {}", account.account_id));

        let regions: Vec<String> = if target.regions.is_empty() {
            vec![home.clone()]
        } else {
            target.regions.clone()
        };
        let ids = rds::Ids {
            account: account.account_id.clone(),
            partition: account.partition.clone(),
        };
        let rds_regions: Vec<_> = regions
            .iter()
            .map(|r| {
                let (target, http, ctx, ids, r) = (
                    target.clone(),
                    http.clone(),
                    ctx.clone(),
                    ids.clone(),
                    r.clone(),
                );
                async move {
                    let conf = client::load(&target, Some(&r), http).await;
                    rds::region(conf, r, ids, ctx).await
                }
            })
            .collect();
        let region_names = regions.clone();
        let infra = tokio::spawn(infra::account(
            target.clone(),
            base.clone(),
            home.clone(),
            regions.clone(),
            http.clone(),
            ctx.clone(),
        ));
        let s3 = tokio::spawn(s3::account(base, home, ids.clone(), ctx.clone()));
        let edge_task = tokio::spawn(edge::account(
            target.clone(),
            regions.clone(),
            http.clone(),
            ctx.clone(),
        ));
        let rds_regions = spawn_all(rds_regions, |i, cause| {
            rds::lost_region(&region_names[i], &cause)
        })
        .await;
        let s3 = s3.await.unwrap_or_else(|e| checks::facts::aws::S3 {
            buckets: checks::facts::aws::Listing::failed(format!("the S3 collector failed: {e}")),
            ..checks::facts::aws::S3::default()
        });
        account.regions = rds_regions;
        account.s3 = s3;
        account.infra = infra
            .await
            .unwrap_or_else(|e| checks::facts::aws_infra::Infra {
                trails: checks::facts::aws::Listing::failed(format!(
                    "the infrastructure collector failed: {e}"
                )),
                ..checks::facts::aws_infra::Infra::default()
            });
        account.edge = edge_task
            .await
            .unwrap_or_else(|e| edge::lost(&regions, &e.to_string()));
        account
    }

    /// Runs the futures as tasks (in parallel on the runtime's threads; the in-flight limit is
    /// enforced per call by [`Ctx::call`]) and returns their outputs in order. A task that
    /// panicked is replaced by `lost(index, cause)`, so nothing disappears silently.
    pub(crate) async fn spawn_all<T, F>(
        futures: Vec<F>,
        lost: impl Fn(usize, String) -> T,
    ) -> Vec<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let mut set = tokio::task::JoinSet::new();
        let n = futures.len();
        for (i, f) in futures.into_iter().enumerate() {
            set.spawn(async move { (i, f.await) });
        }
        let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            if let Ok((i, v)) = joined {
                slots[i] = Some(v);
            }
        }
        slots
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.unwrap_or_else(|| lost(i, "the collector task panicked".to_owned())))
            .collect()
    }
}

/// Error paths the emulator cannot produce (AccessDenied, a throttling storm), against a
/// scripted HTTP client plugged into the same configuration the collector loads. (The SDK's
/// `aws-smithy-mocks` needs the SDK crates' `test-util` feature, which would compile the whole
/// SDK a second time for tests.)
#[cfg(all(test, feature = "aws"))]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
    use aws_smithy_runtime_api::client::http::{
        HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use checks::facts::aws::Read;
    use checks::settings::AwsTarget;

    use super::calls::Api;
    use super::client;
    use super::collector::Ctx;

    /// Answers each request with the next scripted (status, body); counts requests.
    #[derive(Debug, Clone, Default)]
    pub(super) struct Scripted {
        pub(super) replies: Arc<Mutex<VecDeque<(u16, &'static str)>>>,
        pub(super) requests: Arc<AtomicUsize>,
    }

    impl HttpConnector for Scripted {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            self.requests.fetch_add(1, Ordering::SeqCst);
            let (status, body) = self
                .replies
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or((500, ""));
            let response =
                HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
            HttpConnectorFuture::ready(Ok(response))
        }
    }

    /// A current-thread runtime, and the configuration the collector loads for a target at
    /// `endpoint_url` in us-east-1 whose every request goes to `connector`, with fixed
    /// credentials.
    pub(super) fn unit_config(
        endpoint_url: &str,
        connector: impl HttpConnector + Clone + 'static,
    ) -> (tokio::runtime::Runtime, aws_config::SdkConfig) {
        let http = http_client_fn(move |_, _| SharedHttpConnector::new(connector.clone()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let target = AwsTarget {
            name: "unit".to_owned(),
            endpoint_url: Some(endpoint_url.to_owned()),
            ..AwsTarget::default()
        };
        let conf = rt
            .block_on(client::load(&target, Some("us-east-1"), http))
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDUNIT", "unit", None, None, "unit",
            )))
            .build();
        (rt, conf)
    }

    const ENCRYPTION: &str = r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"#;
    const SLOW_DOWN: &str =
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
    pub(super) const DENIED: &str =
        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";

    /// Reads one bucket's encryption through the collector's configuration and `Ctx::call`.
    fn read_encryption(replies: &[(u16, &'static str)]) -> (Read<String>, usize) {
        let scripted = Scripted::default();
        scripted
            .replies
            .lock()
            .unwrap()
            .extend(replies.iter().copied());
        let (rt, conf) = unit_config("http://s3.unit.invalid", scripted.clone());
        let read = rt.block_on(async {
            let s3conf = aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build();
            let s3 = aws_sdk_s3::Client::from_conf(s3conf);
            let ctx = Ctx::new(4);
            ctx.call(
                Api::S3GetEncryptionConfiguration,
                s3.get_bucket_encryption().bucket("b").send(),
            )
            .await
            .read(&[], |out| {
                out.server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_owned())
                    .unwrap_or_default()
            })
        });
        (read, scripted.requests.load(Ordering::SeqCst))
    }

    #[test]
    fn access_denied_names_the_missing_iam_action_and_is_not_retried() {
        let (read, requests) = read_encryption(&[(403, DENIED)]);
        let Read::Error { message, .. } = read else {
            panic!("expected an error, got {read:?}")
        };
        assert_eq!(
            message,
            "s3:GetEncryptionConfiguration was denied (AccessDenied): grant the IAM action \
             s3:GetEncryptionConfiguration"
        );
        assert_eq!(requests, 1);
    }

    #[test]
    fn throttling_is_retried_with_backoff_until_it_succeeds() {
        let (read, requests) =
            read_encryption(&[(503, SLOW_DOWN), (503, SLOW_DOWN), (200, ENCRYPTION)]);
        assert!(
            matches!(&read, Read::Value { value, .. } if value == "AES256"),
            "{read:?}"
        );
        assert_eq!(requests, 3);
    }

    #[test]
    fn a_throttling_storm_ends_as_an_error_not_a_pass() {
        let (read, requests) = read_encryption(&[(503, SLOW_DOWN); 8]);
        assert!(
            matches!(&read, Read::Error { message, .. } if message.contains("SlowDown")),
            "{read:?}"
        );
        assert_eq!(requests, 6, "MAX_ATTEMPTS attempts, then the error");
    }
}
