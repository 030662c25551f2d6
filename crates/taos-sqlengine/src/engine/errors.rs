//! The errors the engine answers with: TDengine's codes (beyond `types::code`) and the messages
//! that go with them, and the one way to refuse what this engine does not implement
//! ([`unsupported`]: 9728 naming the unsupported part).

use crate::types::{code, TdError};

/// Error codes the engine produces beyond `types::code` (low 16 bits, from the recordings).
pub mod ecode {
    pub const INVALID_TIMESTAMP_FORMAT: u16 = 295;
    pub const INTERVAL_TOO_SMALL: u16 = 9749;
    pub const INVALID_OPTION: u16 = 9753;
    pub const AMBIGUOUS_COLUMN: u16 = 9732;
    pub const WRONG_VALUE_TYPE: u16 = 9733;
    pub const ILLEGAL_USE_AGG: u16 = 9736;
    pub const ORDER_BY_POSITION: u16 = 9737;
    pub const NOT_GROUP_BY_EXPR: u16 = 9738;
    pub const NOT_SELECTED_EXPRESSION: u16 = 9739;
    pub const NOT_SINGLE_GROUP: u16 = 9740;
    pub const TAGS_NOT_MATCHED: u16 = 9741;
    pub const GROUPBY_WINDOW_COEXIST: u16 = 9764;
    pub const INVALID_STATE_WIN_TYPE: u16 = 9768;
    pub const INVALID_STATE_WIN_COL: u16 = 9769;
    pub const INTER_SESSION_GAP: u16 = 9771;
    pub const INTER_SESSION_COL: u16 = 9772;
    pub const INTER_OFFSET_UNIT: u16 = 9774;
    pub const INTER_OFFSET_TOO_BIG: u16 = 9775;
    pub const INTER_SLIDING_UNIT: u16 = 9776;
    pub const SLIDING_TOO_LARGE: u16 = 9777;
    pub const ONLY_ONE_JSON_TAG: u16 = 9779;
    pub const FILL_RANGE_REQUIRED: u16 = 9787;
    /// `TSDB_CODE_PAR_FILL_NOT_ALLOWED_FUNC`: top/bottom/sample/histogram with FILL.
    pub const FILL_NOT_ALLOWED_FUNC: u16 = 9815;
    pub const ILLEGAL_COLUMNS: u16 = 9791;
    pub const FIRST_COLUMN_TS: u16 = 9793;
    pub const INVALID_VAR_LEN: u16 = 9794;
    pub const TOO_MANY_COLUMNS: u16 = 9792;
    pub const TOO_MANY_TAGS: u16 = 9795;
    pub const INCORRECT_NUM_OF_COL: u16 = 9780;
    pub const SLIMIT_LEAK_PARTITION: u16 = 9784;
    pub const ORDERBY_UNKNOWN_EXPR: u16 = 9845;
    pub const MODIFY_COLUMN: u16 = 9803;
    pub const INVALID_STREAM_QUERY: u16 = 9797;
    pub const INVALID_TBNAME: u16 = 9804;
    pub const NOT_ALLOWED_FUNC: u16 = 9807;
    pub const NOT_ALLOWED_WIN_QUERY: u16 = 9808;
    pub const ONLY_TAG_JSON: u16 = 9810;
    pub const WINDOW_PSEUDO_COLUMN: u16 = 9816;
    pub const INVALID_INTERP_CLAUSE: u16 = 9821;
    pub const NO_VALID_FUNC_IN_WIN: u16 = 9822;
    pub const ONLY_SUPPORT_SINGLE_TABLE: u16 = 9823;
    pub const AGG_FUNC_NESTING: u16 = 9767;
    pub const INVALID_COLS_SELECTFUNC: u16 = 9866;
    pub const INVALID_COLS_ALIAS: u16 = 9867;
    pub const INVALID_EXPR_USAGE: u16 = 9831;
    pub const INVALID_WJOIN_HAVING_EXPR: u16 = 9842;
    pub const VALID_PRIM_TS_REQUIRED: u16 = 9844;
    /// `TSDB_CODE_PAR_NOT_SUPPORT_MULTI_RESULT`: `first(a, b)` inside an expression.
    pub const NOT_SUPPORT_MULTI_RESULT: u16 = 9840;
    /// `TSDB_CODE_QRY_JSON_NOT_SUPPORT_ERROR`: a whole JSON tag compared or sorted.
    pub const JSON_NOT_SUPPORT: u16 = 0x072D;
    /// `TSDB_CODE_QRY_JSON_IN_GROUP_ERROR`: a whole JSON tag in GROUP BY / PARTITION BY / DISTINCT.
    pub const JSON_IN_GROUP: u16 = 0x072E;
    /// `TSDB_CODE_APP_ERROR` ("Unexpected generic error").
    pub const APP_ERROR: u16 = 0x0110;
    pub const TRUE_FOR_UNIT: u16 = 9864;
    pub const FUNC_ERROR: u16 = 10240;
    pub const FUNC_PARAM_COUNT: u16 = 10241;
    pub const FUNC_PARAM_TYPE: u16 = 10242;
    pub const FUNC_PARAM_RANGE: u16 = 10257;
    pub const DUP_TIMESTAMP: u16 = 10245;
    pub const FUNC_PARAM_VALUE: u16 = 10243;
    pub const TIME_UNIT_INVALID: u16 = 10250;
    pub const FUNC_RESULT_TOO_LONG: u16 = 10254;
    pub const TIME_UNIT_TOO_SMALL: u16 = 10251;
    pub const ONE_BLOB: u16 = 25350;
    pub const BLOB_TAG: u16 = 25345;
    /// ALTER … ADD TAG of a BLOB: 3.3.7.5's code has no text (`Unknown error`).
    pub const BLOB_TAG_ADDED: u16 = 25349;
}

pub(crate) fn err(code: u16, msg: impl Into<String>) -> TdError {
    TdError::new(code, msg)
}

pub(crate) fn db_not_exist() -> TdError {
    err(code::MND_DB_NOT_EXIST, "Database not exist")
}

pub(crate) fn table_not_exist() -> TdError {
    err(code::PAR_TABLE_NOT_EXIST, "Table does not exist")
}

pub(crate) fn invalid_column(name: &str) -> TdError {
    err(
        code::PAR_INVALID_COLUMN,
        format!("Invalid column name: {}", name),
    )
}

/// `9728` for anything this engine does not implement, naming the part.
pub(crate) fn unsupported(what: &str) -> TdError {
    err(
        code::PAR_SYNTAX_ERROR,
        format!(
            "syntax error near \"{}\" (not supported by taos-testserver)",
            what
        ),
    )
}
