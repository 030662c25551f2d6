//! Users and tokens. Credentials are fixed at start-up; `Taosd` tokens are derived from them, so
//! checking a token needs no state (root/taosdata gets the exact token the real adapter issues).

use base64::Engine as _;
use md5::{Digest, Md5};
use taos_sqlengine::types::code;

/// The token the real adapter returns from `/rest/login/root/taosdata`.
const ROOT_TAOSDATA_TOKEN: &str = "/KfeAzX/f9na8qdtNZmtONryp201ma04bEl8LcvLUd7a8qdtNZmtONryp201ma04";

#[derive(Debug, Clone)]
pub struct Users {
    users: Vec<(String, String)>,
}

/// Why a login was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No such user: 849 `Invalid user` (0x0351).
    UnknownUser,
    /// Wrong password: 855 `Authentication failure` (0x0357).
    WrongPassword,
}

impl AuthError {
    pub fn code(self) -> u16 {
        match self {
            AuthError::UnknownUser => code::MND_USER_NOT_EXIST,
            AuthError::WrongPassword => code::MND_AUTH_FAILURE,
        }
    }
    pub fn message(self) -> &'static str {
        match self {
            AuthError::UnknownUser => "Invalid user",
            AuthError::WrongPassword => "Authentication failure",
        }
    }
}

impl Users {
    pub fn new(users: Vec<(String, String)>) -> Users {
        Users { users }
    }

    pub fn check(&self, user: &str, password: &str) -> Result<(), AuthError> {
        match self.users.iter().find(|(u, _)| u == user) {
            None => Err(AuthError::UnknownUser),
            Some((_, p)) if p == password => Ok(()),
            Some(_) => Err(AuthError::WrongPassword),
        }
    }

    /// The `Taosd` token for a user (same value on every call and every server run).
    pub fn token_for(user: &str, password: &str) -> String {
        if user == "root" && password == "taosdata" {
            return ROOT_TAOSDATA_TOKEN.to_string();
        }
        // 48 bytes of digest → 64 base64 characters, like the adapter's tokens.
        let mut bytes = Vec::with_capacity(48);
        for salt in [b"taos-testserver-a", b"taos-testserver-b", b"taos-testserver-c"] {
            let mut h = Md5::new();
            h.update(salt);
            h.update(user.as_bytes());
            h.update([0u8]);
            h.update(password.as_bytes());
            bytes.extend_from_slice(&h.finalize());
        }
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Whether a `Taosd` token has the shape of one the adapter issues (base64 of at least 48
    /// bytes, a multiple of 8): taosAdapter refuses other shapes at the HTTP level (401, 4389)
    /// and treats a well-formed token it cannot map to a user as an unknown user (849).
    pub fn token_well_formed(token: &str) -> bool {
        base64::engine::general_purpose::STANDARD
            .decode(token)
            .is_ok_and(|b| b.len() >= 48 && b.len() % 8 == 0)
    }

    /// The user a token (from `/rest/login`) belongs to.
    pub fn user_for_token(&self, token: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(u, p)| Users::token_for(u, p) == token)
            .map(|(u, _)| u.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_identify_their_user() {
        let users = Users::new(vec![("root".into(), "taosdata".into()), ("u1".into(), "p1".into())]);
        assert_eq!(users.user_for_token(ROOT_TAOSDATA_TOKEN), Some("root"));
        let t = Users::token_for("u1", "p1");
        assert_eq!(t.len(), 64);
        assert_eq!(users.user_for_token(&t), Some("u1"));
        assert_eq!(users.user_for_token(&Users::token_for("u1", "wrong")), None);
        assert!(users.check("u1", "p1").is_ok());
        assert_eq!(users.check("u1", "p2"), Err(AuthError::WrongPassword));
        assert_eq!(users.check("nobody", "p1"), Err(AuthError::UnknownUser));
        assert!(Users::token_well_formed(ROOT_TAOSDATA_TOKEN));
        assert!(Users::token_well_formed("AAAAAzX/f9na8qdtNZmtONryp201ma04bEl8LcvLUd7a8qdtNZmtONryp201ma04"));
        assert!(!Users::token_well_formed("abc"));
    }
}
