//! [`Secret`]: key material that zeroizes on drop and never prints.

use std::fmt;

use zeroize::Zeroizing;

/// A webhook secret: a GitHub webhook secret, a GitLab secret token, or a
/// signing key.
///
/// The bytes are zeroized when the last copy is dropped, `Debug` prints
/// `Secret(***)`, and an empty secret cannot be built, so a layer can never be
/// configured to accept everything by accident.
///
/// ```
/// use tower_webhooks::Secret;
///
/// let secret = Secret::new("It's a Secret to Everybody").unwrap();
/// assert_eq!(format!("{secret:?}"), "Secret(***)");
/// assert!(Secret::new("").is_err());
/// ```
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Builds a secret from bytes or a string. Refuses an empty one.
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Self, SecretError> {
        let bytes = bytes.as_ref();
        if bytes.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// Reads a secret from the environment variable `name`.
    ///
    /// Fails with a message naming the variable (never its value) when it is
    /// unset, not valid Unicode, or empty.
    ///
    /// ```
    /// use tower_webhooks::{Secret, SecretError};
    ///
    /// let err = Secret::from_env("TOWER_WEBHOOKS_DOC_UNSET").unwrap_err();
    /// assert!(matches!(err, SecretError::EnvMissing { .. }));
    /// ```
    pub fn from_env(name: &str) -> Result<Self, SecretError> {
        match std::env::var(name) {
            Ok(value) if value.is_empty() => Err(SecretError::EnvEmpty {
                name: name.to_owned(),
            }),
            Ok(value) => {
                let value = Zeroizing::new(value);
                Self::new(value.as_bytes())
            }
            Err(std::env::VarError::NotPresent) => Err(SecretError::EnvMissing {
                name: name.to_owned(),
            }),
            Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::EnvNotUnicode {
                name: name.to_owned(),
            }),
        }
    }

    /// The secret's bytes. Handle with care: never log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl TryFrom<&str> for Secret {
    type Error = SecretError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&[u8]> for Secret {
    type Error = SecretError;

    fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for Secret {
    type Error = SecretError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let value = Zeroizing::new(value);
        Self::new(value.as_bytes())
    }
}

/// Why a [`Secret`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretError {
    /// The secret was empty.
    Empty,
    /// The environment variable is not set.
    EnvMissing {
        /// The variable's name.
        name: String,
    },
    /// The environment variable is set but empty.
    EnvEmpty {
        /// The variable's name.
        name: String,
    },
    /// The environment variable is not valid Unicode.
    EnvNotUnicode {
        /// The variable's name.
        name: String,
    },
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("a webhook secret must not be empty"),
            Self::EnvMissing { name } => {
                write!(f, "environment variable {name} is not set")
            }
            Self::EnvEmpty { name } => write!(f, "environment variable {name} is empty"),
            Self::EnvNotUnicode { name } => {
                write!(f, "environment variable {name} is not valid Unicode")
            }
        }
    }
}

impl std::error::Error for SecretError {}
