use serde_json::json;

use super::aws_edge_shared::{read_or_error, web_acls};
use crate::facts::aws_edge::{WafRule, WafStatement};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct WafManagedRules;

impl Rule for WafManagedRules {
    const META: Meta = Meta {
        id: "waf-managed-rules",
        title: "Web ACLs enforce the required AWS managed rule groups",
        severity: Severity::Medium,
        controls: &["WAF-01"],
        source: Source::Aws,
        docs: r#"
## Why
"A managed WAF with the OWASP core and known-bad-inputs rule sets" is a claim about the rules
a web ACL enforces. A web ACL can list a managed group and still only count its matches
(`OverrideAction: Count`, often left from a trial), which blocks nothing.

## What is judged
Every WAFv2 web ACL (regional and CloudFront) contains each rule group named in
`[aws] waf_required_rule_groups` (default `AWSManagedRulesCommonRuleSet` and
`AWSManagedRulesKnownBadInputsRuleSet`, vendor `AWS`) as a managed rule group statement whose
override action is `none`, so the group's own block actions apply. A group present only in
count mode fails. Individual rules of a group overridden to another action are listed in the
message. A web ACL whose rules could not be read is an `error`.

## How to fix
Add the groups with `OverrideAction: {"None": {}}` (Terraform: `override_action { none {} }`),
or name the groups you really require in `[aws] waf_required_rule_groups`.

## Evidence
The web ACL, its rules (name, priority, action, statement) and the calls.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let required = &cx.options.aws.waf_required_rule_groups;
        for acl in web_acls(cx, out) {
            let Some(rules) = read_or_error(&acl.name, &acl.arn, "the rules", &acl.rules, out)
            else {
                continue;
            };
            let mut missing = Vec::new();
            let mut counting = Vec::new();
            let mut overridden = Vec::new();
            for group in required {
                match find_group(rules, group) {
                    None => missing.push(group.as_str()),
                    Some(rule) if !rule.enforces() => counting.push(group.as_str()),
                    Some(rule) => {
                        if let WafStatement::ManagedRuleGroup {
                            overridden_rules, ..
                        } = &rule.statement
                            && !overridden_rules.is_empty()
                        {
                            overridden
                                .push(format!("{group} overrides {}", overridden_rules.join(", ")));
                        }
                    }
                }
            }
            let evidence = json!({
                "web_acl": acl.name, "scope": acl.scope, "required": required, "rules": rules,
                "call": acl.rules.call(),
            });
            let note = if overridden.is_empty() {
                String::new()
            } else {
                format!(" (note: {})", overridden.join("; "))
            };
            let at = Location::arn(acl.arn.clone());
            if missing.is_empty() && counting.is_empty() {
                out.pass(
                    acl.name.clone(),
                    at,
                    format!(
                        "web ACL {} enforces {}{note}",
                        acl.name,
                        required.join(", ")
                    ),
                    evidence,
                );
            } else {
                let mut problems = Vec::new();
                if !missing.is_empty() {
                    problems.push(format!("missing {}", missing.join(", ")));
                }
                if !counting.is_empty() {
                    problems.push(format!(
                        "only counting (override action count) {}",
                        counting.join(", ")
                    ));
                }
                out.fail(
                    acl.name.clone(),
                    at,
                    format!("web ACL {}: {}{note}", acl.name, problems.join("; ")),
                    evidence,
                );
            }
        }
    }
}

/// The rule that references the AWS managed group `name`.
fn find_group<'a>(rules: &'a [WafRule], name: &str) -> Option<&'a WafRule> {
    rules.iter().find(|r| {
        matches!(&r.statement, WafStatement::ManagedRuleGroup { vendor, name: n, .. } if vendor == "AWS" && n == name)
    })
}
