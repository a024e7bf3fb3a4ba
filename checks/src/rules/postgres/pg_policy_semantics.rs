//! What a row-level security expression MEANS for tenant isolation, judged on sqlparser's
//! expression tree rather than on the words it mentions.
//!
//! An expression restricts rows to the session's tenant when every disjunct of its
//! disjunctive form carries a tenant restriction. That is decided without building the
//! disjunctive form (which can be exponential): `A AND B` is restricted when either side is
//! (every disjunct of the product contains one of A's or B's, all restricted), `A OR B` when
//! both are. The atoms that restrict are listed in [`Vocabulary::atom`]; everything else —
//! `true`, `IS NOT NULL`, comparisons with constants, keys on undeclared settings, columns that
//! are not the tenant's — is an open branch, quoted in the verdict.

use sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments,
    JoinConstraint, JoinOperator, ObjectNamePart, Query, Select, SelectItem, SetExpr, SetOperator,
    TableFactor, UnaryOperator, Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::pg_common::loose;
use crate::parse::sql::depth;
use crate::resolve::{Globs, PostgresOptions};

/// What the session values and columns of a table's policies are, from `[postgres]`.
pub(crate) struct Vocabulary {
    /// The policy's table (bare name, lower case): qualifies outer columns in `EXISTS`.
    table: String,
    tenant_columns: Vec<String>,
    user_columns: Vec<String>,
    tenant_settings: Globs,
    user_settings: Globs,
    tenant_functions: Vec<String>,
    user_functions: Vec<String>,
    break_glass: Globs,
    break_glass_functions: Vec<String>,
    /// Tenant paths: foreign-key columns whose parent is a tenant table.
    links: Vec<Link>,
    /// What a user-scoped key (`user_id = auth.uid()`) proves here (see [`UserScope`]).
    user_scope: UserScope,
}

/// What keying a user column on the session's user proves about the row's tenant.
///
/// Reading only one's own rows never shows another tenant's data to a stranger: every row read
/// carries the session's user. Writing is different: `WITH CHECK (user_id = auth.uid())` on a
/// table that has its own tenant column leaves that column free, so a user who belongs to
/// several tenants (or a user of one tenant) can write a row into any tenant, which that
/// tenant's members then read when a policy reads the table by tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UserScope {
    /// The row's tenant follows its user (reads; a table with no tenant column of its own,
    /// whose user column is its only scope; or a binding, described, for writes).
    Isolates(Option<String>),
    /// Writes on a table whose own tenant columns nothing binds to the user, read by tenant
    /// through the named policy.
    LeavesTenantFree {
        tenant_columns: Vec<String>,
        read_by: String,
    },
}

/// A tenant-path link: `column` references `parent` (`endpoint.app_id -> application`). A policy
/// restricts the column when it selects the parent's referenced column from the parent rows the
/// parent's own vocabulary finds restricted to the session's tenant.
pub(crate) struct Link {
    /// The child's column, compared loosely, and as written (for messages).
    column: String,
    written: String,
    /// The parent's `schema.table` and bare name, lower case (how a subselect may name it).
    names: Vec<String>,
    /// The referenced column, when the foreign key names it.
    referenced: Option<String>,
    parent: Vocabulary,
}

impl Link {
    pub fn new(
        column: &str,
        parent: &str,
        referenced: Option<&str>,
        vocabulary: Vocabulary,
    ) -> Self {
        let qualified = parent.to_lowercase();
        let bare = qualified
            .rsplit('.')
            .next()
            .unwrap_or(&qualified)
            .to_owned();
        Link {
            column: loose(column),
            written: column.to_owned(),
            names: vec![qualified, bare],
            referenced: referenced.map(loose),
            parent: vocabulary,
        }
    }

    fn parent_name(&self) -> &str {
        &self.names[0]
    }

    fn path(&self, column: &str) -> String {
        format!("{column} -> {}", self.parent_name())
    }
}

/// A list of session-setting globs as written, for messages.
fn describe(keys: &Globs) -> String {
    if keys.is_empty() {
        "none".to_owned()
    } else {
        keys.as_written().join(", ")
    }
}

/// The verdict on one expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every branch restricts rows; notes for the evidence (user-scoped keys, accepted
    /// break-glass switches, deny-all branches).
    Restricted(Vec<String>),
    /// A branch that admits rows of other tenants, quoted, and why.
    Open(Branch),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Branch {
    pub text: String,
    pub why: String,
    /// The session switch that opens it, when it is a bypass (`app.bypass_rls`).
    pub bypass: Option<String>,
}

/// Why an expression could not be judged (the table is then `error`, never `pass`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unjudged {
    TooDeep,
    Unreadable(String),
}

impl std::fmt::Display for Unjudged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unjudged::TooDeep => write!(
                f,
                "its expression nests deeper than {} levels, which vouch does not judge",
                depth::MAX_NESTING
            ),
            Unjudged::Unreadable(why) => write!(f, "its expression could not be parsed ({why})"),
        }
    }
}

type Judged<T> = Result<T, Unjudged>;

/// A value compared with a column, as far as the session is concerned.
enum SessionValue {
    /// A declared session value (`tenant`: it carries the tenant, not only the user).
    Declared {
        tenant: bool,
        source: String,
    },
    UndeclaredSetting(String),
    UndeclaredFunction(String),
    Constant,
    Other,
}

const MAX_QUOTE: usize = 200;

/// `e` as SQL, shortened for a message.
fn quote(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    if text.chars().count() <= MAX_QUOTE {
        return text;
    }
    let mut short: String = text.chars().take(MAX_QUOTE).collect();
    short.push('…');
    short
}

fn open(e: &impl std::fmt::Display, why: impl Into<String>) -> Outcome {
    Outcome::Open(Branch {
        text: quote(e),
        why: why.into(),
        bypass: None,
    })
}

fn deeper(depth: usize) -> Judged<usize> {
    if depth >= depth::MAX_NESTING {
        Err(Unjudged::TooDeep)
    } else {
        Ok(depth + 1)
    }
}

/// Parses one policy expression (`USING`/`WITH CHECK` text, sqlparser's or PostgreSQL's
/// rendering).
pub(crate) fn parse_expression(text: &str) -> Judged<Expr> {
    if depth::too_deep(text) {
        return Err(Unjudged::TooDeep);
    }
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(depth::RECURSION_LIMIT)
        .try_with_sql(text)
        .map_err(|e| Unjudged::Unreadable(e.to_string()))?;
    let expr = parser
        .parse_expr()
        .map_err(|e| Unjudged::Unreadable(e.to_string()))?;
    if parser.peek_token().token != Token::EOF {
        return Err(Unjudged::Unreadable("text after the expression".to_owned()));
    }
    Ok(expr)
}

/// The column an expression names (through parentheses and casts), lower case, unquoted.
fn column(e: &Expr) -> Option<(Option<String>, String)> {
    match e {
        Expr::Identifier(i) => Some((None, i.value.to_lowercase())),
        Expr::CompoundIdentifier(parts) => {
            let (last, rest) = parts.split_last()?;
            let qualifier = rest.last().map(|q| q.value.to_lowercase());
            Some((qualifier, last.value.to_lowercase()))
        }
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => column(inner),
        _ => None,
    }
}

fn is_constant(e: &Expr) -> bool {
    match e {
        Expr::Value(_) | Expr::TypedString(_) => true,
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => is_constant(inner),
        Expr::UnaryOp { expr, .. } => is_constant(expr),
        _ => false,
    }
}

fn is_true(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => matches!(v.value, Value::Boolean(true)),
        Expr::Nested(inner) => is_true(inner),
        _ => false,
    }
}

/// The string literal of `e` (through casts: PostgreSQL renders `'app.tenant_id'::text`).
fn literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => Some(s.clone()),
            _ => None,
        },
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => literal(inner),
        _ => None,
    }
}

/// `schema.name` of a call, lower case.
fn function_name(f: &Function) -> String {
    f.name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.to_lowercase(),
            other @ ObjectNamePart::Function(_) => other.to_string().to_lowercase(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A declared function matches a call with the same qualified name, or the same bare name
/// when either side is unqualified (the search path decides, and vouch cannot).
fn declared(list: &[String], name: &str) -> bool {
    let bare = |n: &str| n.rsplit('.').next().unwrap_or(n).to_owned();
    list.iter().any(|d| {
        let d = d.to_lowercase();
        d == name || ((!d.contains('.') || !name.contains('.')) && bare(&d) == bare(name))
    })
}

/// The expression arguments of a call.
fn arguments(f: &Function) -> Vec<&Expr> {
    match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
                | FunctionArg::Named {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                }
                | FunctionArg::ExprNamed {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn subquery_argument(f: &Function) -> Option<&Query> {
    match &f.args {
        FunctionArguments::Subquery(q) => Some(q),
        _ => None,
    }
}

impl Vocabulary {
    /// The vocabulary for one table: its tenant columns (already resolved by the caller) and
    /// the session values of `[postgres]`.
    pub fn new(table: &str, tenant_columns: &[String], settings: &PostgresOptions) -> Self {
        let loose_all = |v: &[String]| -> Vec<String> { v.iter().map(|c| loose(c)).collect() };
        Vocabulary {
            table: table.to_lowercase(),
            tenant_columns: tenant_columns.iter().map(|c| loose(c)).collect(),
            user_columns: loose_all(&settings.user_columns),
            tenant_settings: settings.tenant_settings.clone(),
            user_settings: settings.user_settings.clone(),
            tenant_functions: settings.tenant_functions.clone(),
            user_functions: settings.user_functions.clone(),
            break_glass: settings.break_glass_settings.clone(),
            break_glass_functions: settings.break_glass_functions.clone(),
            links: Vec::new(),
            user_scope: UserScope::Isolates(None),
        }
    }

    /// What a user-scoped key proves for the expressions judged with this vocabulary (writes on
    /// a table with its own tenant column: see [`UserScope`]).
    pub fn with_user_scope(mut self, scope: UserScope) -> Self {
        self.user_scope = scope;
        self
    }

    /// Adds a tenant-path link (see [`Link`]).
    pub fn with_link(mut self, link: Link) -> Self {
        self.links.push(link);
        self
    }

    fn link(&self, column: &str) -> Option<&Link> {
        let column = loose(column);
        self.links.iter().find(|l| l.column == column)
    }

    /// Judges one expression's text.
    pub fn judge(&self, text: &str) -> Judged<Outcome> {
        let expr = parse_expression(text)?;
        self.restriction(&expr, 0)
    }

    fn is_tenant_column(&self, name: &str) -> bool {
        self.tenant_columns.contains(&loose(name))
    }

    fn is_user_column(&self, name: &str) -> bool {
        self.user_columns.contains(&loose(name))
    }

    /// Whether every disjunct of `e` restricts rows to the session's tenant.
    fn restriction(&self, e: &Expr, depth: usize) -> Judged<Outcome> {
        let depth = deeper(depth)?;
        match e {
            Expr::Nested(inner) | Expr::IsTrue(inner) => self.restriction(inner, depth),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                let lhs = self.restriction(left, depth)?;
                if matches!(lhs, Outcome::Restricted(_)) {
                    return Ok(lhs);
                }
                let rhs = self.restriction(right, depth)?;
                Ok(match (lhs, rhs) {
                    (Outcome::Open(first), Outcome::Open(second)) => {
                        Outcome::Open(both(first, second))
                    }
                    (_, restricted @ Outcome::Restricted(_)) | (restricted, _) => restricted,
                })
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => {
                let mut notes = match self.restriction(left, depth)? {
                    Outcome::Restricted(notes) => notes,
                    open @ Outcome::Open(_) => return Ok(open),
                };
                match self.restriction(right, depth)? {
                    Outcome::Restricted(more) => notes.extend(more),
                    open @ Outcome::Open(_) => return Ok(open),
                }
                Ok(Outcome::Restricted(notes))
            }
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => match expr.as_ref() {
                Expr::UnaryOp {
                    op: UnaryOperator::Not,
                    expr: inner,
                } => self.restriction(inner, depth),
                _ => Ok(self.flag_or(
                    e,
                    "negates a condition, which does not restrict rows to one tenant",
                )),
            },
            _ => self.atom(e, depth),
        }
    }

    /// A condition that is not AND/OR/NOT.
    fn atom(&self, e: &Expr, depth: usize) -> Judged<Outcome> {
        Ok(match e {
            Expr::Value(v) => match v.value {
                Value::Boolean(false) | Value::Null => {
                    Outcome::Restricted(vec![format!("`{e}` admits no row")])
                }
                Value::Boolean(true) => open(e, "admits every row"),
                _ => open(e, "is a constant, not a restriction"),
            },
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            }
            | Expr::IsNotDistinctFrom(left, right) => self.equality(e, left, right, depth)?,
            Expr::InList {
                expr,
                list,
                negated: false,
            } => self.in_list(e, expr, list, depth)?,
            Expr::InSubquery {
                expr,
                subquery,
                negated: false,
            } => match column(expr) {
                Some((_, col)) if self.link(&col).is_some() => {
                    let link = self.link(&col).expect("checked");
                    Self::through_parent(e, &col, link, subquery, depth)?
                }
                Some((_, col)) => {
                    let value = if self.query_keyed(subquery, depth)? {
                        Self::keyed_subselect()
                    } else {
                        SessionValue::Other
                    };
                    self.keyed(e, &col, value)
                }
                None => open(
                    e,
                    "tests membership of something that is not a tenant column",
                ),
            },
            Expr::AnyOp {
                left,
                compare_op: BinaryOperator::Eq,
                right,
                ..
            } => match column(left) {
                Some((_, col)) => {
                    let value = self.session_value(right, depth)?;
                    self.keyed(e, &col, value)
                }
                None => open(e, "compares something that is not a tenant column"),
            },
            Expr::Function(f) => self.call(e, f),
            Expr::Exists {
                subquery,
                negated: false,
            } => match self.exists_through_parent(e, subquery, depth)? {
                Some(outcome) => outcome,
                None => self.exists(e, subquery, depth)?,
            },
            Expr::IsNotNull(_) => open(
                e,
                "only tests that a value is present (IS NOT NULL), which every tenant's rows pass",
            ),
            _ => self.flag_or(e, "is not a restriction to the session's tenant"),
        })
    }

    /// `a = b` (either side the column).
    fn equality(&self, e: &Expr, left: &Expr, right: &Expr, depth: usize) -> Judged<Outcome> {
        if is_true(right) {
            return self.restriction(left, depth);
        }
        if is_true(left) {
            return self.restriction(right, depth);
        }
        for (a, b) in [(left, right), (right, left)] {
            if let (Some((_, col)), Expr::Subquery(q)) = (column(a), b)
                && let Some(link) = self.link(&col)
            {
                return Self::through_parent(e, &col, link, q, depth);
            }
        }
        let mut first_column = None;
        for (a, b) in [(left, right), (right, left)] {
            if let Some((_, col)) = column(a) {
                let value = self.session_value(b, depth)?;
                if !matches!(value, SessionValue::Other) {
                    return Ok(self.keyed(e, &col, value));
                }
                first_column.get_or_insert(col);
            }
        }
        Ok(match first_column {
            Some(col) => self.keyed(e, &col, SessionValue::Other),
            None => self.flag_or(e, "compares values that are not a tenant column"),
        })
    }

    fn in_list(&self, e: &Expr, expr: &Expr, list: &[Expr], depth: usize) -> Judged<Outcome> {
        let Some((_, col)) = column(expr) else {
            return Ok(open(
                e,
                "tests membership of something that is not a tenant column",
            ));
        };
        // Every listed value must carry the tenant; the first that does not decides.
        let mut notes = Vec::new();
        for item in list {
            match self.keyed(e, &col, self.session_value(item, depth)?) {
                Outcome::Restricted(more) => notes.extend(more),
                open @ Outcome::Open(_) => return Ok(open),
            }
        }
        Ok(Outcome::Restricted(notes))
    }

    /// A declared tenant function given a tenant column decides membership.
    fn call(&self, e: &Expr, f: &Function) -> Outcome {
        let name = function_name(f);
        let args = arguments(f);
        let columns: Vec<String> = args.iter().filter_map(|a| column(a)).map(|c| c.1).collect();
        if columns.is_empty() {
            return self.flag_or(e, "is not a restriction to the session's tenant");
        }
        if !declared(&self.tenant_functions, &name) {
            return open(
                e,
                format!(
                    "calls `{name}`, which is not a declared tenant function ([postgres] \
                     tenant_functions: {})",
                    self.tenant_functions_described()
                ),
            );
        }
        if columns.iter().any(|c| self.is_tenant_column(c)) {
            return Outcome::Restricted(Vec::new());
        }
        open(
            e,
            format!(
                "passes `{}`, which is not a tenant column, to the tenant function `{name}`",
                columns.join("`, `")
            ),
        )
    }

    /// `col IN (SELECT ref FROM parent WHERE …)` (or `col = (SELECT …)`) on a tenant-path
    /// column: restricted when the subselect reads the parent alone, selects the referenced
    /// column, and its condition restricts the parent's rows to the session's tenant as the
    /// parent's own policies would have to.
    fn through_parent(
        e: &Expr,
        col: &str,
        link: &Link,
        q: &Query,
        depth: usize,
    ) -> Judged<Outcome> {
        let depth = deeper(depth)?;
        let path = link.path(col);
        let Some((select, _)) = parent_select(q, link) else {
            return Ok(open(
                e,
                format!(
                    "restricts `{col}` through a subselect that does not read `{}` alone, so it does not follow the tenant path `{path}`",
                    link.parent_name()
                ),
            ));
        };
        if !projects_referenced(select, link) {
            return Ok(open(
                e,
                format!(
                    "selects something other than the column `{col}` references in `{}`",
                    link.parent_name()
                ),
            ));
        }
        let Some(condition) = &select.selection else {
            return Ok(open(
                e,
                format!(
                    "admits every row of `{}`: its subselect has no condition, so `{col}` is not restricted to the session's tenant",
                    link.parent_name()
                ),
            ));
        };
        Self::parent_verdict(e, &path, link, condition, depth)
    }

    /// The parent's vocabulary on a subselect's condition, as a verdict on the child's branch.
    fn parent_verdict(
        e: &Expr,
        path: &str,
        link: &Link,
        condition: &Expr,
        depth: usize,
    ) -> Judged<Outcome> {
        Ok(match link.parent.restriction(condition, depth)? {
            Outcome::Restricted(mut notes) => {
                notes.push(format!("follows the tenant path `{path}`"));
                Outcome::Restricted(notes)
            }
            Outcome::Open(branch) => open(
                e,
                format!(
                    "follows the tenant path `{path}` but does not restrict `{}` to the session's tenant: `{}` {}",
                    link.parent_name(),
                    branch.text,
                    branch.why
                ),
            ),
        })
    }

    /// `EXISTS (SELECT … FROM parent p WHERE p.ref = table.col AND <parent restricted>)` on a
    /// tenant-path column; `None` when the EXISTS does not read a linked parent alone (the
    /// ordinary EXISTS rules then apply).
    fn exists_through_parent(&self, e: &Expr, q: &Query, depth: usize) -> Judged<Option<Outcome>> {
        let depth = deeper(depth)?;
        let Some((link, select, alias)) = self
            .links
            .iter()
            .find_map(|l| parent_select(q, l).map(|(s, a)| (l, s, a)))
        else {
            return Ok(None);
        };
        let col = link.written.clone();
        let Some(condition) = &select.selection else {
            return Ok(Some(open(
                e,
                "is an EXISTS without a condition, true for every row",
            )));
        };
        if !self.parent_linked(condition, link, alias.as_deref(), depth)? {
            return Ok(Some(open(
                e,
                format!(
                    "is an EXISTS over `{}` not tied to this row (compare the referenced column with `{}.<{col}>`; an unqualified name may mean the subselect's own column)",
                    link.parent_name(),
                    self.table
                ),
            )));
        }
        let path = link.path(&col);
        Self::parent_verdict(e, &path, link, condition, depth).map(Some)
    }

    /// Every disjunct equates this table's link column (qualified with the table's name) with
    /// the parent's referenced column.
    fn parent_linked(
        &self,
        e: &Expr,
        link: &Link,
        alias: Option<&str>,
        depth: usize,
    ) -> Judged<bool> {
        let depth = deeper(depth)?;
        Ok(match e {
            Expr::Nested(inner) => self.parent_linked(inner, link, alias, depth)?,
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                self.parent_linked(left, link, alias, depth)?
                    || self.parent_linked(right, link, alias, depth)?
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => {
                self.parent_linked(left, link, alias, depth)?
                    && self.parent_linked(right, link, alias, depth)?
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } => [(left, right), (right, left)].iter().any(|(ours, theirs)| {
                let outer = column(ours).is_some_and(|(q, c)| {
                    q.as_deref() == Some(self.table.as_str()) && loose(&c) == link.column
                });
                let inner = column(theirs).is_some_and(|(q, c)| {
                    let own = q.is_none()
                        || q.as_deref() == alias
                        || q.as_deref()
                            .is_some_and(|q| link.names.iter().any(|n| n == q));
                    own && link.referenced.as_ref().is_none_or(|r| *r == loose(&c))
                });
                outer && inner
            }),
            _ => false,
        })
    }

    /// `EXISTS (SELECT … WHERE inner.col = table.tenant_col AND … keyed on the session)`.
    fn exists(&self, e: &Expr, q: &Query, depth: usize) -> Judged<Outcome> {
        let depth = deeper(depth)?;
        let SetExpr::Select(select) = q.body.as_ref() else {
            return Ok(open(e, "is an EXISTS vouch cannot follow"));
        };
        let Some(selection) = &select.selection else {
            return Ok(open(
                e,
                "is an EXISTS without a condition, true for every row",
            ));
        };
        if !self.condition_keyed(selection, depth)? {
            return Ok(open(
                e,
                "is an EXISTS whose subselect is not keyed on a declared session value",
            ));
        }
        if !self.linked(selection, depth)? {
            return Ok(open(
                e,
                format!(
                    "is an EXISTS not tied to this row's tenant column (compare it as \
                     `{}.<tenant column>`; an unqualified name means the subselect's own column)",
                    self.table
                ),
            ));
        }
        Ok(Outcome::Restricted(Vec::new()))
    }

    /// Every disjunct of a subselect's condition equates an outer tenant column
    /// (`table.tenant_id`) with something.
    fn linked(&self, e: &Expr, depth: usize) -> Judged<bool> {
        let depth = deeper(depth)?;
        Ok(match e {
            Expr::Nested(inner) => self.linked(inner, depth)?,
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => self.linked(left, depth)? || self.linked(right, depth)?,
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => self.linked(left, depth)? && self.linked(right, depth)?,
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } => [left, right].iter().any(|side| {
                column(side).is_some_and(|(q, c)| {
                    q.as_deref() == Some(self.table.as_str())
                        && (self.is_tenant_column(&c) || self.is_user_column(&c))
                })
            }),
            _ => false,
        })
    }

    /// The outcome of `col = value`.
    fn keyed(&self, e: &Expr, col: &str, value: SessionValue) -> Outcome {
        let tenant_col = self.is_tenant_column(col);
        let user_col = self.is_user_column(col);
        match value {
            SessionValue::Declared { tenant: true, .. } if tenant_col => {
                Outcome::Restricted(Vec::new())
            }
            SessionValue::Declared { source, .. } if user_col => self.user_scoped(e, col, &source),
            SessionValue::Declared { source, .. } if tenant_col => open(
                e,
                format!(
                    "keys the tenant column `{col}` on {source}, which carries the session's \
                     user, not its tenant ([postgres] tenant_settings: {})",
                    describe(&self.tenant_settings)
                ),
            ),
            SessionValue::Declared { .. } => open(
                e,
                format!(
                    "restricts `{col}`, which is not a tenant column (tenant columns: {})",
                    self.tenant_columns.join(", ")
                ),
            ),
            SessionValue::UndeclaredSetting(key) => open(
                e,
                format!(
                    "keys `{col}` on the setting `{key}`, which is not a declared tenant \
                     setting ([postgres] tenant_settings: {})",
                    describe(&self.tenant_settings)
                ),
            ),
            SessionValue::UndeclaredFunction(name) => open(
                e,
                format!(
                    "keys `{col}` on `{name}()`, which is not a declared tenant function \
                     ([postgres] tenant_functions: {})",
                    self.tenant_functions_described()
                ),
            ),
            SessionValue::Constant => open(
                e,
                format!(
                    "compares `{col}` with a constant, which admits those rows to every session"
                ),
            ),
            SessionValue::Other => open(
                e,
                format!("compares `{col}` with a value that is not the session's tenant"),
            ),
        }
    }

    /// `user_col = <session user>`: restricted when the row's tenant follows its user.
    fn user_scoped(&self, e: &Expr, col: &str, source: &str) -> Outcome {
        match &self.user_scope {
            UserScope::Isolates(binding) => {
                let how = binding.as_ref().map_or_else(String::new, |b| {
                    format!("; the row's tenant follows its user: {b}")
                });
                Outcome::Restricted(vec![format!(
                    "user-scoped: `{col}` is keyed on the session's user ({source}){how}"
                )])
            }
            UserScope::LeavesTenantFree {
                tenant_columns,
                read_by,
            } => open(
                e,
                format!(
                    "keys `{col}` on the session's user ({source}) but leaves the tenant column \
                     `{}` free: a user can write a row into any tenant, which that tenant's \
                     members then read through policy `{read_by}` (a user may belong to several \
                     tenants). Also restrict the tenant column, bind both with a composite \
                     foreign key to the memberships, or declare [postgres] single_tenant_users \
                     = true if every user belongs to one tenant and the tenant column is set \
                     from the user",
                    tenant_columns.join("`, `")
                ),
            ),
        }
    }

    fn tenant_functions_described(&self) -> String {
        if self.tenant_functions.is_empty() {
            "none".to_owned()
        } else {
            self.tenant_functions.join(", ")
        }
    }

    fn keyed_subselect() -> SessionValue {
        SessionValue::Declared {
            tenant: true,
            source: "a subselect keyed on the session".to_owned(),
        }
    }

    /// What `e` is, as a value compared with a column.
    fn session_value(&self, e: &Expr, depth: usize) -> Judged<SessionValue> {
        let depth = deeper(depth)?;
        Ok(match e {
            Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => {
                self.session_value(inner, depth)?
            }
            // JSON field of a session value: `auth.jwt() ->> 'tenant_id'`.
            Expr::BinaryOp {
                left,
                op:
                    BinaryOperator::Arrow
                    | BinaryOperator::LongArrow
                    | BinaryOperator::HashArrow
                    | BinaryOperator::HashLongArrow,
                right,
            } if is_constant(right) => self.session_value(left, depth)?,
            Expr::Function(f) => self.function_value(f, depth)?,
            Expr::Subquery(q) => {
                if self.query_keyed(q, depth)? {
                    Self::keyed_subselect()
                } else {
                    SessionValue::Other
                }
            }
            Expr::Array(array) => {
                let mut all = true;
                for item in &array.elem {
                    let keyed = matches!(
                        self.session_value(item, depth)?,
                        SessionValue::Declared { tenant: true, .. }
                    );
                    all &= keyed;
                }
                if all && !array.elem.is_empty() {
                    Self::keyed_subselect()
                } else {
                    SessionValue::Other
                }
            }
            _ if is_constant(e) => SessionValue::Constant,
            _ => SessionValue::Other,
        })
    }

    fn function_value(&self, f: &Function, depth: usize) -> Judged<SessionValue> {
        let name = function_name(f);
        let args = arguments(f);
        if let Some(q) = subquery_argument(f) {
            // `ARRAY(SELECT …)`
            return Ok(if self.query_keyed(q, depth)? {
                Self::keyed_subselect()
            } else {
                SessionValue::Other
            });
        }
        if declared(&["pg_catalog.current_setting".to_owned()], &name) {
            return Ok(match args.first().and_then(|a| literal(a)) {
                Some(key) => self.setting_value(&key),
                None => SessionValue::Other,
            });
        }
        if declared(&["pg_catalog.nullif".to_owned()], &name) && args.len() == 2 {
            return self.session_value(args[0], depth);
        }
        if declared(&["pg_catalog.coalesce".to_owned()], &name) {
            // Every alternative must be the session's: a constant fallback is a shared value.
            let mut first = None;
            for a in &args {
                let v = self.session_value(a, depth)?;
                if !matches!(v, SessionValue::Declared { .. }) {
                    return Ok(SessionValue::Other);
                }
                first.get_or_insert(v);
            }
            return Ok(first.unwrap_or(SessionValue::Other));
        }
        let tenant = declared(&self.tenant_functions, &name);
        let user = declared(&self.user_functions, &name);
        if tenant || user {
            return Ok(SessionValue::Declared {
                tenant,
                source: format!("`{name}()`"),
            });
        }
        if args.iter().any(|a| column(a).is_some()) {
            return Ok(SessionValue::Other);
        }
        Ok(SessionValue::UndeclaredFunction(name))
    }

    fn setting_value(&self, key: &str) -> SessionValue {
        let tenant = self.tenant_settings.is_match(key);
        let user = self.user_settings.is_match(key);
        if tenant || user {
            SessionValue::Declared {
                tenant,
                source: format!("the setting `{key}`"),
            }
        } else {
            SessionValue::UndeclaredSetting(key.to_owned())
        }
    }

    /// A subselect whose rows are chosen by the session: its condition is keyed on a declared
    /// session value in every disjunct, or it selects a session value from nothing.
    fn query_keyed(&self, q: &Query, depth: usize) -> Judged<bool> {
        let depth = deeper(depth)?;
        if q.with.is_some() {
            return Ok(false);
        }
        self.set_keyed(&q.body, depth)
    }

    fn set_keyed(&self, body: &SetExpr, depth: usize) -> Judged<bool> {
        let depth = deeper(depth)?;
        Ok(match body {
            SetExpr::Query(q) => self.query_keyed(q, depth)?,
            SetExpr::SetOperation {
                left, op, right, ..
            } => match op {
                SetOperator::Union => {
                    self.set_keyed(left, depth)? && self.set_keyed(right, depth)?
                }
                SetOperator::Intersect => {
                    self.set_keyed(left, depth)? || self.set_keyed(right, depth)?
                }
                SetOperator::Except | SetOperator::Minus => self.set_keyed(left, depth)?,
            },
            SetExpr::Select(s) => {
                if let Some(w) = &s.selection
                    && self.condition_keyed(w, depth)?
                {
                    return Ok(true);
                }
                for join in s.from.iter().flat_map(|t| &t.joins) {
                    if let JoinOperator::Join(JoinConstraint::On(on))
                    | JoinOperator::Inner(JoinConstraint::On(on)) = &join.join_operator
                        && self.condition_keyed(on, depth)?
                    {
                        return Ok(true);
                    }
                }
                if s.from.is_empty()
                    && let [SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }] =
                        s.projection.as_slice()
                {
                    return Ok(matches!(
                        self.session_value(e, depth)?,
                        SessionValue::Declared { .. }
                    ));
                }
                false
            }
            _ => false,
        })
    }

    /// Every disjunct of a subselect's condition compares something with a declared session
    /// value (or calls a declared tenant function on a column).
    fn condition_keyed(&self, e: &Expr, depth: usize) -> Judged<bool> {
        let depth = deeper(depth)?;
        Ok(match e {
            Expr::Nested(inner) | Expr::IsTrue(inner) => self.condition_keyed(inner, depth)?,
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => self.condition_keyed(left, depth)? || self.condition_keyed(right, depth)?,
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => self.condition_keyed(left, depth)? && self.condition_keyed(right, depth)?,
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            }
            | Expr::IsNotDistinctFrom(left, right) => {
                let mut keyed = false;
                for (a, b) in [(left, right), (right, left)] {
                    keyed |= !is_constant(a)
                        && matches!(self.session_value(b, depth)?, SessionValue::Declared { .. });
                }
                keyed
            }
            Expr::InSubquery {
                subquery,
                negated: false,
                ..
            } => self.query_keyed(subquery, depth)?,
            Expr::AnyOp {
                right,
                compare_op: BinaryOperator::Eq,
                ..
            } => matches!(
                self.session_value(right, depth)?,
                SessionValue::Declared { .. }
            ),
            Expr::Function(f) => {
                declared(&self.tenant_functions, &function_name(f))
                    && arguments(f).iter().any(|a| column(a).is_some())
            }
            _ => false,
        })
    }

    /// A condition on session values only (no column): when it holds, the branch admits every
    /// row, so it is a bypass switch — accepted when declared as break-glass.
    fn flag_or(&self, e: &Expr, otherwise: &str) -> Outcome {
        let mut switches = Vec::new();
        let mut has_column = false;
        Self::switches(e, 0, &mut switches, &mut has_column);
        if has_column || switches.is_empty() {
            return open(e, otherwise);
        }
        let accepted = switches.iter().all(|s| match s {
            Switch::Setting(k) => self.break_glass.is_match(k),
            Switch::Function(f) => declared(&self.break_glass_functions, f),
        });
        let named = switches
            .iter()
            .map(Switch::describe)
            .collect::<Vec<_>>()
            .join(", ");
        if accepted {
            let who = switches
                .iter()
                .map(Switch::who_can_flip)
                .collect::<Vec<_>>()
                .join("; ");
            return Outcome::Restricted(vec![format!(
                "accepted break-glass: `{}` admits every row when {named} says so ({who})",
                quote(e)
            )]);
        }
        Outcome::Open(Branch {
            text: quote(e),
            why: format!(
                "admits every row whenever {named} says so: a bypass (declare it in \
                 [postgres] break_glass if it is an accepted break-glass path)"
            ),
            bypass: Some(named),
        })
    }

    /// The session switches (settings read, functions called without columns) in `e`, and
    /// whether it reads any column. Bounded like every walk here.
    fn switches(e: &Expr, depth: usize, out: &mut Vec<Switch>, column_seen: &mut bool) {
        if depth >= depth::MAX_NESTING {
            *column_seen = true; // unknown: never a proven switch
            return;
        }
        let depth = depth + 1;
        match e {
            Expr::Function(f) => {
                let name = function_name(f);
                let args = arguments(f);
                if declared(&["pg_catalog.current_setting".to_owned()], &name) {
                    match args.first().and_then(|a| literal(a)) {
                        Some(key) => out.push(Switch::Setting(key)),
                        None => *column_seen = true,
                    }
                    return;
                }
                if !matches!(f.args, FunctionArguments::List(_) | FunctionArguments::None) {
                    *column_seen = true;
                    return;
                }
                let before = out.len();
                for a in args {
                    Self::switches(a, depth, out, column_seen);
                }
                if out.len() == before {
                    out.push(Switch::Function(name));
                }
            }
            Expr::Nested(x)
            | Expr::Cast { expr: x, .. }
            | Expr::IsTrue(x)
            | Expr::IsFalse(x)
            | Expr::IsNull(x)
            | Expr::IsNotNull(x)
            | Expr::UnaryOp { expr: x, .. } => Self::switches(x, depth, out, column_seen),
            Expr::BinaryOp { left, right, .. } | Expr::IsDistinctFrom(left, right) => {
                Self::switches(left, depth, out, column_seen);
                Self::switches(right, depth, out, column_seen);
            }
            Expr::InList { expr, list, .. } => {
                Self::switches(expr, depth, out, column_seen);
                for item in list {
                    Self::switches(item, depth, out, column_seen);
                }
            }
            Expr::Value(_) | Expr::TypedString(_) => {}
            // Anything else (subselects, CASE…) may read rows: not a pure switch.
            _ => *column_seen = true,
        }
    }
}

enum Switch {
    Setting(String),
    Function(String),
}

impl Switch {
    /// Who can turn the switch on, as far as PostgreSQL says.
    fn who_can_flip(&self) -> String {
        match self {
            // A custom (placeholder) setting is user-settable: `REVOKE SET ON PARAMETER` and
            // `ALTER ROLE … SET` do not stop a session's own `SET`/`set_config` (tested on
            // PostgreSQL 15, `pg_policy_oracle::a_custom_setting_is_settable_by_the_runtime_role`).
            Switch::Setting(k) => format!(
                "settable by the session: any role, the runtime roles included, can `SET {k}`, \
                 so whoever runs SQL as them can read every tenant"
            ),
            Switch::Function(f) => format!("vouch does not judge who can make `{f}()` true"),
        }
    }

    fn describe(&self) -> String {
        match self {
            Switch::Setting(k) => format!("the setting `{k}`"),
            Switch::Function(f) => format!("`{f}()`"),
        }
    }
}

/// The subselect of `q` when it reads the link's parent alone (one table, no join, no CTE),
/// with the alias it gives it.
fn parent_select<'q>(q: &'q Query, link: &Link) -> Option<(&'q Select, Option<String>)> {
    if q.with.is_some() {
        return None;
    }
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    let [from] = select.from.as_slice() else {
        return None;
    };
    if !from.joins.is_empty() {
        return None;
    }
    let TableFactor::Table { name, alias, .. } = &from.relation else {
        return None;
    };
    let named = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.to_lowercase(),
            other @ ObjectNamePart::Function(_) => other.to_string().to_lowercase(),
        })
        .collect::<Vec<_>>()
        .join(".");
    link.names.contains(&named).then(|| {
        (
            select.as_ref(),
            alias.as_ref().map(|a| a.name.value.to_lowercase()),
        )
    })
}

/// The subselect selects exactly the referenced column (any one column when the foreign key
/// does not name it).
fn projects_referenced(select: &Select, link: &Link) -> bool {
    let [SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }] =
        select.projection.as_slice()
    else {
        return false;
    };
    column(e).is_some_and(|(_, c)| link.referenced.as_ref().is_none_or(|r| *r == loose(&c)))
}

/// Two open branches AND-ed: still open; quoted together.
fn both(a: Branch, b: Branch) -> Branch {
    let why = if a.why == b.why {
        a.why
    } else {
        format!("{}; {}", a.why, b.why)
    };
    Branch {
        text: format!("{} AND {}", a.text, b.text),
        why,
        bypass: a.bypass.or(b.bypass),
    }
}

#[cfg(test)]
mod tests;
