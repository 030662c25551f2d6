//! The abstract syntax tree of the statements the engine understands.

/// `[db.]name`; names are lower-cased unless they were back-quoted.
#[derive(Debug, Clone, PartialEq)]
pub struct TableName {
    pub db: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeName {
    Timestamp,
    Bool,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    UTinyInt,
    USmallInt,
    UInt,
    UBigInt,
    Float,
    Double,
    VarChar(u32),
    NChar(u32),
    Json,
    VarBinary(u32),
    Geometry(u32),
    Decimal(u8, u8),
    Blob,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: TypeName,
    pub primary_key: bool,
    /// Byte offset of the column's type (for error messages).
    pub pos: usize,
    /// `ENCODE`, `COMPRESS`, `LEVEL` as written (checked against the type when the table is made).
    pub compression: ColumnCompression,
}

/// A column's compression options as written; `None` when absent (the type's default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnCompression {
    pub encode: Option<String>,
    pub compress: Option<String>,
    pub level: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    BitAnd,
    BitOr,
}

impl BinOp {
    pub fn is_arith(self) -> bool {
        matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod
        )
    }
    pub fn is_cmp(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Column {
        table: Option<String>,
        name: String,
    },
    /// Integer literal (magnitude fits u64; larger ones become `Float`). Negative literals fold here.
    Int(i128),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    /// `10s` → value and unit character.
    Duration {
        value: i64,
        unit: char,
    },
    Star {
        table: Option<String>,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    Match {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    /// Function call; `name` lower-cased. `pos` is where the name starts.
    Func {
        name: String,
        args: Vec<Expr>,
        pos: usize,
    },
    Cast {
        expr: Box<Expr>,
        ty: TypeName,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        else_: Option<Box<Expr>>,
    },
    JsonGet {
        expr: Box<Expr>,
        key: String,
    },
    /// The n-th `?` placeholder of a prepared query (0-based).
    Param(usize),
}

impl Expr {
    /// Visits this expression and every sub-expression (pre-order).
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Neg(x) | Expr::Not(x) => x.walk(f),
            Expr::Binary { left, right, .. } => {
                left.walk(f);
                right.walk(f);
            }
            Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } | Expr::JsonGet { expr, .. } => {
                expr.walk(f)
            }
            Expr::InList { expr, list, .. } => {
                expr.walk(f);
                list.iter().for_each(|x| x.walk(f));
            }
            Expr::Between {
                expr, low, high, ..
            } => {
                expr.walk(f);
                low.walk(f);
                high.walk(f);
            }
            Expr::Like { expr, pattern, .. } | Expr::Match { expr, pattern, .. } => {
                expr.walk(f);
                pattern.walk(f);
            }
            Expr::Func { args, .. } => args.iter().for_each(|x| x.walk(f)),
            Expr::Case {
                operand,
                whens,
                else_,
            } => {
                if let Some(o) = operand {
                    o.walk(f);
                }
                for (w, t) in whens {
                    w.walk(f);
                    t.walk(f);
                }
                if let Some(x) = else_ {
                    x.walk(f);
                }
            }
            Expr::Column { .. }
            | Expr::Int(_)
            | Expr::Float(_)
            | Expr::Str(_)
            | Expr::Bool(_)
            | Expr::Null
            | Expr::Duration { .. }
            | Expr::Star { .. }
            | Expr::Param(_) => {}
        }
    }

    /// The same expression, written anywhere (positions ignored): `group by abs(v)` matches
    /// `select abs(v)`.
    pub fn same_as(&self, other: &Expr) -> bool {
        fn shape(e: &Expr) -> Vec<(std::mem::Discriminant<Expr>, String)> {
            let mut out = Vec::new();
            e.walk(&mut |x| {
                // the variant and its own scalars (children are visited next)
                let own = match x {
                    Expr::Func { name, args, .. } => format!("{}({})", name, args.len()),
                    Expr::Column { table, name } => format!("{:?}.{}", table, name),
                    Expr::Int(v) => v.to_string(),
                    Expr::Float(v) => v.to_string(),
                    Expr::Str(v) => format!("{:?}", v),
                    Expr::Bool(v) => v.to_string(),
                    Expr::Duration { value, unit } => format!("{}{}", value, unit),
                    Expr::Binary { op, .. } => format!("{:?}", op),
                    Expr::IsNull { negated, .. }
                    | Expr::InList { negated, .. }
                    | Expr::Between { negated, .. }
                    | Expr::Like { negated, .. }
                    | Expr::Match { negated, .. } => negated.to_string(),
                    Expr::Cast { ty, .. } => format!("{:?}", ty),
                    Expr::JsonGet { key, .. } => key.clone(),
                    Expr::Case {
                        operand,
                        whens,
                        else_,
                    } => format!("{} {} {}", operand.is_some(), whens.len(), else_.is_some()),
                    Expr::Star { table } => format!("{:?}", table),
                    Expr::Param(i) => i.to_string(),
                    Expr::Null | Expr::Neg(_) | Expr::Not(_) => String::new(),
                };
                out.push((std::mem::discriminant(x), own));
            });
            out
        }
        shape(self) == shape(other)
    }

    /// The operands of top-level ANDs (`a and (b and c)` → a, b, c).
    pub fn conjuncts(&self) -> Vec<&Expr> {
        match self {
            Expr::Binary {
                op: BinOp::And,
                left,
                right,
            } => {
                let mut v = left.conjuncts();
                v.extend(right.conjuncts());
                v
            }
            _ => vec![self],
        }
    }

    /// Does this expression or a sub-expression satisfy `pred`?
    pub fn any(&self, pred: &dyn Fn(&Expr) -> bool) -> bool {
        let mut hit = false;
        self.walk(&mut |x| hit |= pred(x));
        hit
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectItem {
    pub expr: Expr,
    pub alias: Option<String>,
    /// The expression as written (result column name).
    pub text: String,
    /// For `cols(selector, e1 [[AS] a1], …)`: how each `eN` was written (see [`ColsArg`]); for
    /// `first`/`last`/`last_row` with several arguments: how each argument was written.
    pub cols_args: Vec<ColsArg>,
}

/// An argument after the selector of `cols()`, as written: TDengine names its output column by
/// the alias, else a column by its name, else by the text as written (≤ 64 bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct ColsArg {
    pub text: String,
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FromItem {
    Table {
        name: TableName,
        alias: Option<String>,
    },
    Subquery {
        query: Box<Query>,
        alias: Option<String>,
    },
    Join(Box<Join>),
}

impl FromItem {
    pub fn is_join(&self) -> bool {
        matches!(self, FromItem::Join(_))
    }
}

/// Which side a join keeps (TDengine's join type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    Inner,
    Left,
    Right,
    Full,
}

/// How a join matches (TDengine's join sub-type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinSub {
    /// `[INNER] JOIN` and the comma join.
    None,
    Outer,
    Semi,
    Anti,
    Asof,
    Window,
}

/// `left <kind> JOIN right [ON cond] [WINDOW_OFFSET(a, b)] [JLIMIT n]`, or `left, right`.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub kind: JoinType,
    pub sub: JoinSub,
    pub left: FromItem,
    pub right: FromItem,
    pub on: Option<Expr>,
    /// WINDOW join: offsets as (value, unit) as written (sign included).
    pub window_offset: Option<((i64, char), (i64, char))>,
    pub jlimit: Option<u64>,
    /// Where the join keyword (or comma) is, for messages.
    pub pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub text: String,
    pub desc: bool,
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Fill {
    None,
    Null,
    Value(Vec<Expr>),
    Prev,
    Next,
    /// INTERP only: the nearer of the previous and next rows (the previous one on a tie).
    Near,
    Linear,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    Interval {
        interval: Expr,
        offset: Option<Expr>,
        sliding: Option<Expr>,
        fill: Option<Fill>,
    },
    Session {
        col: Expr,
        gap: Expr,
    },
    State {
        expr: Expr,
        /// `TRUE_FOR(d)`: only windows lasting at least `d`.
        true_for: Option<Expr>,
    },
    Event {
        start: Expr,
        end: Expr,
        true_for: Option<Expr>,
    },
    Count {
        count: i64,
        sliding: Option<i64>,
        /// `count_window(n, c1, c2)`: only rows where one of the columns is not NULL count.
        cols: Vec<String>,
    },
    /// `RANGE(start[, end]) EVERY(step) FILL(…)` for INTERP.
    Interp {
        range: Option<(Expr, Option<Expr>)>,
        every: Option<Expr>,
        fill: Option<Fill>,
        /// `FILL(PREV|NEXT|NEAR, values…)`: values given to a mode that takes none.
        fill_values_misplaced: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub distinct: bool,
    pub items: Vec<SelectItem>,
    pub from: Option<FromItem>,
    pub where_: Option<Expr>,
    pub partition_by: Vec<Expr>,
    pub window: Option<Window>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `a UNION ALL b …` (at least one).
    pub selects: Vec<Select>,
    pub union_distinct: bool,
    pub order_by: Vec<OrderItem>,
    pub slimit: Option<(u64, u64)>,
    /// (limit, offset)
    pub limit: Option<(u64, u64)>,
}

/// One value in INSERT `VALUES (…)` or `TAGS (…)`; `pos` is where it starts in the statement.
#[derive(Debug, Clone, PartialEq)]
pub struct InsVal {
    pub kind: InsValKind,
    pub pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InsValKind {
    Null,
    Bool(bool),
    /// A number as written (`start..end` of the statement, sign included).
    Number {
        start: usize,
        end: usize,
        form: NumForm,
    },
    Str(String),
    Now,
    Today,
    /// `base ± duration` (base is a string, NOW, TODAY or integer).
    Offset {
        base: Box<InsVal>,
        negative: bool,
        value: i64,
        unit: char,
    },
    /// `? ` placeholder (stmt).
    Param,
    /// Anything else (e.g. `1 + 0`): refused with `invalid …` when converted.
    Invalid,
}

/// How a number value was written: TDengine converts each form by its own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumForm {
    Integer,
    Float,
    /// `0x…` / `0b…`
    Radix,
}

/// One `( … )` row of VALUES; `close` is the position of its `)`.
#[derive(Debug, Clone, PartialEq)]
pub struct InsRow {
    pub vals: Vec<InsVal>,
    pub close: usize,
    /// Where a value was followed by neither `,` nor `)`: TDengine reads the values before it
    /// first, then answers `, expected` (more columns were due) or `) expected` there. The
    /// statement ends at such a row.
    pub broken: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Using {
    pub stable: TableName,
    /// `using st (a, b)`; `Some(vec![])` for `using st ()` (then `tags ()`, every tag NULL).
    pub tag_names: Option<Vec<String>>,
    pub tags: Vec<InsVal>,
    /// Where the tag values' `)` is (a missing value is reported there).
    pub tags_close: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InsertTable {
    pub table: TableName,
    pub using: Option<Using>,
    pub columns: Option<Vec<String>>,
    pub rows: Vec<InsRow>,
    /// `INSERT INTO t [(cols)] SELECT …`.
    pub query: Option<Box<Query>>,
    /// `INSERT INTO t FILE 'path'`: refused once the table is known (taosAdapter has no files).
    pub from_file: bool,
    /// Position right after the table name, for "near" messages.
    pub after_name: usize,
}

impl InsertTable {
    /// A table whose clause was not read past its name (or its super table's name): the
    /// statement ends there.
    pub fn named_only(table: TableName, using: Option<Using>, after_name: usize) -> Self {
        InsertTable { table, using, columns: None, rows: vec![], query: None, from_file: false, after_name }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateChild {
    pub name: TableName,
    pub if_not_exists: bool,
    pub stable: TableName,
    pub tag_names: Option<Vec<String>>,
    pub tags: Vec<InsVal>,
    pub options: TableOptions,
}

/// Table options of CREATE / ALTER TABLE and STABLE. The comment is kept as written between its
/// quotes (TDengine stores it unescaped: `'it''s'` stays `it''s`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableOptions {
    pub comment: Option<String>,
    pub ttl: Option<i64>,
    /// KEEP in minutes (super tables only).
    pub keep: Option<i64>,
    /// Options TDengine allows only in a database with RETENTIONS (`rollup`, `max_delay`,
    /// `watermark`, `delete_mark`), as written; the parser refuses a statement that has any.
    pub retention_only: Vec<String>,
    /// The columns named by `SMA(...)`, as written.
    pub sma: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterAction {
    AddColumn(ColumnDef),
    DropColumn(String),
    ModifyColumn(ColumnDef),
    AddTag(ColumnDef),
    DropTag(String),
    ModifyTag(ColumnDef),
    RenameTag(String, String),
    RenameColumn(String, String),
    SetTag(Vec<(String, InsVal)>),
    /// COMMENT / TTL / KEEP.
    Options(TableOptions),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShowKind {
    Databases,
    Tables {
        db: Option<String>,
        like: Option<String>,
        filter: Option<bool>, /* Some(true)=normal, Some(false)=child */
    },
    Stables {
        db: Option<String>,
        like: Option<String>,
        /// `SHOW VIRTUAL STABLES`: only virtual super tables (this engine creates none).
        virtual_only: bool,
    },
    /// `SHOW [NORMAL|CHILD] [db.]VTABLES`: virtual tables (this engine creates none).
    Vtables {
        db: Option<String>,
        like: Option<String>,
    },
    CreateDatabase(String),
    CreateTable(TableName),
    CreateStable(TableName),
    Tags(TableName),
    TableTags {
        cols: Option<Vec<String>>,
        table: TableName,
    },
    Users,
    /// `SHOW USERS FULL`: 3.3.7.5's community edition lists nothing.
    UsersFull,
    UserPrivileges,
    Qnodes,
    Mnodes,
    Cluster,
    Grants,
    /// SHOW GRANTS FULL (the community edition lists none)
    GrantsFull,
    /// SHOW GRANTS LOGS (the community edition lists none)
    GrantsLogs,
    /// `SHOW DNODE n VARIABLES [LIKE]`.
    DnodeVariables {
        like: Option<String>,
    },
    /// `SHOW LOCAL VARIABLES [LIKE]`.
    LocalVariables {
        like: Option<String>,
    },
    Indexes(TableName),
    Views {
        db: Option<String>,
    },
    /// Streams and user functions: none exist here.
    Streams,
    Functions,
    Distributed(TableName),
    Variables {
        like: Option<String>,
    },
    Dnodes,
    Vgroups {
        db: Option<String>,
    },
    Topics,
    Consumers,
    Subscriptions,
    /// `SHOW CONNECTIONS`: `performance_schema.perf_connections`.
    Connections,
}

/// What a topic subscribes to.
#[derive(Debug, Clone, PartialEq)]
pub enum TopicSource {
    Query(Box<Query>),
    Database(String),
    Stable {
        name: TableName,
        where_: Option<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum DbOptVal {
    Int(i64),
    Str(String),
    Duration(i64, char),
    List(Vec<DbOptVal>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
        options: Vec<(String, DbOptVal, usize)>,
    },
    AlterDatabase {
        name: String,
        options: Vec<(String, DbOptVal, usize)>,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
    },
    Use {
        name: String,
    },
    CreateStable {
        name: TableName,
        if_not_exists: bool,
        columns: Vec<ColumnDef>,
        tags: Vec<ColumnDef>,
        options: TableOptions,
    },
    CreateTable {
        name: TableName,
        if_not_exists: bool,
        columns: Vec<ColumnDef>,
        options: TableOptions,
    },
    CreateChildren(Vec<CreateChild>),
    DropTables {
        names: Vec<TableName>,
        if_exists: bool,
    },
    DropStable {
        name: TableName,
        if_exists: bool,
    },
    Alter {
        stable: bool,
        name: TableName,
        action: AlterAction,
    },
    Insert(Vec<InsertTable>),
    /// `DELETE FROM [db.]table [WHERE …]`.
    Delete {
        table: TableName,
        where_: Option<Expr>,
    },
    Query(Box<Query>),
    Show(ShowKind),
    Describe(TableName),
    CreateTopic {
        name: String,
        if_not_exists: bool,
        /// `WITH META` / `ONLY META`, as written (`None`: data only).
        meta: Option<&'static str>,
        source: TopicSource,
    },
    DropTopic {
        name: String,
        if_exists: bool,
    },
    /// `CREATE INDEX name ON stable (tag, …)`.
    CreateIndex {
        name: String,
        table: TableName,
        columns: Vec<String>,
    },
    DropIndex {
        /// `drop index db.name`: the database the index is in (else the current one).
        db: Option<String>,
        name: String,
        if_exists: bool,
    },
    /// CREATE / DROP / SHOW CREATE VIEW: the community edition has no views.
    View {
        db: Option<String>,
    },
    CreateUser {
        name: String,
        pass: String,
        sysinfo: i64,
        createdb: i64,
        hosts: Vec<String>,
    },
    AlterUser {
        name: String,
        change: UserChange,
    },
    DropUser {
        name: String,
    },
    /// GRANT (`revoke: false`) or REVOKE.
    Grant {
        revoke: bool,
        privileges: Vec<&'static str>,
        level: PrivLevel,
        cond: Option<Expr>,
        user: String,
    },
}

/// What ALTER USER changes.
#[derive(Debug, Clone, PartialEq)]
pub enum UserChange {
    Pass(String),
    Enable(i64),
    Sysinfo(i64),
    Createdb(i64),
    AddHosts(Vec<String>),
    DropHosts(Vec<String>),
}

/// What a privilege is on: `*.*`, `db.*`, `db.table`, or a topic.
#[derive(Debug, Clone, PartialEq)]
pub enum PrivLevel {
    All,
    Db(String),
    Table(String, String),
    Topic(String),
}
