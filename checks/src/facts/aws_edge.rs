//! The edge and the image registry of an AWS account, read-only: ELBv2 load balancers and
//! their listeners and TLS policies, CloudFront distributions, WAFv2 web ACLs, ECR
//! repositories and the registry's scanning configuration.
//!
//! As in [`super::aws`], every record keeps its ARN and the [`Call`] that returned it, and a
//! call that failed is a [`Read::Error`] or a listing `error`, never an empty answer.

use serde::{Deserialize, Serialize};

use super::aws::{Call, Listing, Read};

/// One account's edge: per region, and the global CloudFront part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Edge {
    pub regions: Vec<EdgeRegion>,
    /// CloudFront is global: listed once per account.
    pub distributions: Listing<Distribution>,
    /// Web ACLs of scope CLOUDFRONT (they live in us-east-1).
    pub cloudfront_web_acls: Listing<WebAcl>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdgeRegion {
    pub name: String,
    pub load_balancers: Listing<LoadBalancer>,
    /// Every TLS policy a listener of this region uses, described once.
    pub ssl_policies: Vec<SslPolicy>,
    /// Web ACLs of scope REGIONAL.
    pub web_acls: Listing<WebAcl>,
    pub repositories: Listing<Repository>,
    /// `ecr:GetRegistryScanningConfiguration`: basic or enhanced scanning and its rules.
    pub registry_scanning: Read<RegistryScanning>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancer {
    pub name: String,
    pub arn: String,
    /// `application`, `network` or `gateway`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    pub call: Call,
    pub listeners: Read<Vec<Listener>>,
    /// The ARN of the WAFv2 web ACL associated with it (`None`: none), read for application
    /// load balancers only (the others cannot carry one).
    pub web_acl: Read<Option<String>>,
}

impl LoadBalancer {
    pub fn internet_facing(&self) -> bool {
        self.scheme == "internet-facing"
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Listener {
    pub arn: String,
    pub port: i32,
    /// `HTTP`, `HTTPS`, `TCP`, `TLS`, `UDP`, `TCP_UDP`, `GENEVE`.
    pub protocol: String,
    pub ssl_policy: Option<String>,
    /// The default actions, in order.
    pub default_actions: Vec<ListenerAction>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListenerAction {
    /// `forward`, `redirect`, `fixed-response`, `authenticate-oidc`…
    #[serde(rename = "type")]
    pub kind: String,
    /// For a redirect: the target protocol (`HTTPS`, `HTTP`, or `#{protocol}`: unchanged).
    pub redirect_protocol: Option<String>,
    /// For a redirect: `HTTP_301` or `HTTP_302`.
    pub redirect_status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SslPolicy {
    pub name: String,
    /// `SslProtocols` as AWS lists them: `TLSv1`, `TLSv1.1`, `TLSv1.2`, `TLSv1.3`.
    pub protocols: Read<Vec<String>>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Distribution {
    pub id: String,
    pub arn: String,
    pub domain_name: String,
    pub enabled: bool,
    /// `WebACLId`: a WAFv2 web ACL ARN (or a WAF Classic id); empty when none.
    pub web_acl_id: String,
    /// The viewer certificate's `MinimumProtocolVersion` (`TLSv1.2_2021`…).
    pub minimum_protocol_version: Option<String>,
    /// The `*.cloudfront.net` certificate: then CloudFront accepts TLSv1 whatever the setting.
    pub cloudfront_default_certificate: bool,
    /// The default behavior first (`path_pattern` `*`), then the others in order.
    pub behaviors: Vec<CacheBehavior>,
    pub call: Call,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheBehavior {
    pub path_pattern: String,
    /// `allow-all`, `redirect-to-https` or `https-only`.
    pub viewer_protocol_policy: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebAcl {
    pub name: String,
    pub id: String,
    pub arn: String,
    /// `REGIONAL` or `CLOUDFRONT`.
    pub scope: String,
    /// `ListWebACLs`.
    pub call: Call,
    /// `GetWebACL`: the rules, in priority order.
    pub rules: Read<Vec<WafRule>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WafRule {
    pub name: String,
    pub priority: i32,
    /// What a match does: `block`, `allow`, `count`, `captcha`, `challenge` (rules with their
    /// own action); for rule groups, `none` (the group's own actions apply) or `count` (the
    /// whole group only counts).
    pub action: String,
    pub statement: WafStatement,
}

impl WafRule {
    /// The rule acts on a match (blocks, challenges), rather than only counting it.
    pub fn enforces(&self) -> bool {
        !matches!(self.action.as_str(), "count" | "allow" | "")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WafStatement {
    /// `ManagedRuleGroupStatement`.
    ManagedRuleGroup {
        vendor: String,
        name: String,
        /// Rules of the group whose action is overridden (to `count` usually): not enforced.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        overridden_rules: Vec<String>,
    },
    /// `RateBasedStatement`.
    RateBased {
        /// Requests per evaluation window per aggregation key.
        limit: i64,
        /// `IP`, `FORWARDED_IP`, `CUSTOM_KEYS` or `CONSTANT`.
        aggregate_key_type: String,
        /// The window in seconds (AWS default 300).
        window_seconds: i64,
        /// A scope-down statement narrows which requests are counted.
        scoped_down: bool,
    },
    /// `RuleGroupReferenceStatement` (a customer rule group).
    RuleGroup { arn: String },
    /// Any other statement (byte match, IP set, geo…), by its kind.
    Other { statement: String },
}

impl Default for WafStatement {
    fn default() -> Self {
        WafStatement::Other {
            statement: String::new(),
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Repository {
    pub name: String,
    pub arn: String,
    /// The repository-level `scanOnPush` (ignored by AWS when the registry uses enhanced
    /// scanning).
    pub scan_on_push: bool,
    /// `MUTABLE`, `IMMUTABLE`, or one of the `*_WITH_EXCLUSION` forms.
    pub tag_mutability: String,
    /// `AES256` or `KMS` (`KMS_DSSE`).
    pub encryption_type: String,
    pub kms_key: Option<String>,
    pub call: Call,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistryScanning {
    /// `BASIC` or `ENHANCED`.
    pub scan_type: String,
    pub rules: Vec<ScanRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanRule {
    /// `SCAN_ON_PUSH`, `CONTINUOUS_SCAN` or `MANUAL`.
    pub frequency: String,
    /// Repository name filters (`*` wildcards).
    pub filters: Vec<String>,
}

impl ScanRule {
    /// The rule scans new images of `repository` automatically.
    pub fn scans_on_push(&self, repository: &str) -> bool {
        matches!(self.frequency.as_str(), "SCAN_ON_PUSH" | "CONTINUOUS_SCAN")
            && self.filters.iter().any(|f| wildcard_match(f, repository))
    }
}

/// ECR's filter syntax: `*` matches any run of characters, everything else itself.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    // Both ends checked before slicing, so the cuts fall on character boundaries.
    if !name.starts_with(first) || !name.ends_with(last) || name.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn ecr_filters_match_with_wildcards() {
        assert!(wildcard_match("*", "api"));
        assert!(wildcard_match("prod-*", "prod-api"));
        assert!(!wildcard_match("prod-*", "dev-api"));
        assert!(wildcard_match("*-api", "prod-api"));
        assert!(wildcard_match("a*b*c", "aXbYc"));
        assert!(!wildcard_match("a*b*c", "acb"));
        assert!(wildcard_match("api", "api"));
        assert!(!wildcard_match("api", "api2"));
        assert!(!wildcard_match("ab*ba", "aba"));
    }
}
