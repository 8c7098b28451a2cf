//! oslo.db / SQLAlchemy connection strings (`[database] connection`): parsing them the way
//! SQLAlchemy does, and turning them into the URL or path diesel connects with. The password is
//! never part of `Display`, `Debug` or an error message.
//!
//! Accepted forms:
//! - `mysql[+driver]://[user[:password]@][host][:port]/database[?key=value&...]` (also
//!   `mariadb[+driver]://`); the driver part (`pymysql`, `mysqldb`, ...) is ignored. `user` and
//!   `password` are percent-decoded. Query keys: `charset` (the session character set, default
//!   `utf8` as oslo.db sets it), `unix_socket`, `ssl_ca`, `ssl_cert`, `ssl_key`, `ssl_mode`
//!   (passed to the client); other keys (PyMySQL's own) are ignored.
//! - `sqlite:///relative/path`, `sqlite:////absolute/path`, `sqlite://` and `sqlite:///:memory:`
//!   (in memory); a query part is ignored.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::error::DbError;

/// Characters left unencoded in the user, password and query values of a diesel MySQL URL.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The character set oslo.db asks for on MySQL when the URL does not name one.
pub const DEFAULT_MYSQL_CHARSET: &str = "utf8";

/// Query keys passed on to the MySQL client library (diesel understands these).
const PASSED_QUERY_KEYS: &[&str] = &["unix_socket", "ssl_ca", "ssl_cert", "ssl_key", "ssl_mode"];

/// The database engine a connection string names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// MySQL or MariaDB.
    Mysql,
    /// SQLite (a file or in memory).
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Mysql => "mysql",
            Backend::Sqlite => "sqlite",
        })
    }
}

/// A parsed `[database] connection` string; `Display` and `Debug` show it with the password
/// replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    scheme: String,
    target: Target,
}

#[derive(Clone, PartialEq, Eq)]
enum Target {
    Mysql(MysqlTarget),
    /// `None`: in memory.
    Sqlite(Option<PathBuf>),
}

/// Where a MySQL URL points, as parsed (the password included: never log it).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct MysqlTarget {
    pub(crate) user: Option<String>,
    pub(crate) password: Option<String>,
    /// Without the brackets of an IPv6 literal.
    pub(crate) host: Option<String>,
    pub(crate) ipv6: bool,
    pub(crate) port: Option<u16>,
    pub(crate) database: String,
    pub(crate) query: Vec<(String, String)>,
}

fn invalid(reason: impl Into<String>) -> DbError {
    DbError::InvalidUrl(reason.into())
}

fn decode(part: &str, what: &str) -> Result<String, DbError> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| invalid(format!("the {what} is not UTF-8 after percent-decoding")))
}

fn decode_query_part(part: &str) -> Result<String, DbError> {
    decode(&part.replace('+', " "), "query string")
}

fn parse_query(query: &str) -> Result<Vec<(String, String)>, DbError> {
    let mut out = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((decode_query_part(k)?, decode_query_part(v)?));
    }
    Ok(out)
}

impl DbUrl {
    /// Parses an oslo.db connection string (see the module documentation for the forms).
    pub fn parse(s: &str) -> Result<Self, DbError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DbError::NoConnection);
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return Err(invalid(
                "expected <backend>[+<driver>]://..., e.g. mysql+pymysql://user:password@host/sahara or sqlite:///sahara.db",
            ));
        };
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+')
        {
            return Err(invalid("the scheme may only hold letters, digits, '_' and '+'"));
        }
        let dialect = scheme.split('+').next().unwrap_or_default().to_ascii_lowercase();
        let target = match dialect.as_str() {
            "mysql" | "mariadb" => Target::Mysql(parse_mysql(rest)?),
            "sqlite" => Target::Sqlite(parse_sqlite(rest)?),
            _ => return Err(DbError::UnsupportedBackend(dialect)),
        };
        Ok(Self {
            scheme: scheme.to_owned(),
            target,
        })
    }

    /// The database engine.
    pub fn backend(&self) -> Backend {
        match self.target {
            Target::Mysql(_) => Backend::Mysql,
            Target::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The scheme as written (`mysql+pymysql`, `sqlite`, ...).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether this is an in-memory SQLite database (one per connection).
    pub fn is_memory(&self) -> bool {
        matches!(self.target, Target::Sqlite(None))
    }

    /// The SQLite database file, relative to the working directory unless absolute.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.target {
            Target::Sqlite(Some(p)) => Some(p),
            _ => None,
        }
    }

    /// The parts of a MySQL URL (`None` for SQLite).
    pub(crate) fn mysql_target(&self) -> Option<&MysqlTarget> {
        match &self.target {
            Target::Mysql(m) => Some(m),
            Target::Sqlite(_) => None,
        }
    }

    /// The MySQL database (schema) name.
    pub fn database(&self) -> Option<&str> {
        match &self.target {
            Target::Mysql(m) => Some(&m.database),
            Target::Sqlite(_) => None,
        }
    }

    /// The MySQL user name, if any.
    pub fn user(&self) -> Option<&str> {
        match &self.target {
            Target::Mysql(m) => m.user.as_deref(),
            Target::Sqlite(_) => None,
        }
    }

    /// The MySQL session character set: the URL's `charset`, else oslo.db's `utf8`.
    pub fn charset(&self) -> &str {
        match &self.target {
            Target::Mysql(m) => m
                .query
                .iter()
                .rev()
                .find(|(k, _)| k == "charset")
                .map(|(_, v)| v.as_str())
                .unwrap_or(DEFAULT_MYSQL_CHARSET),
            Target::Sqlite(_) => DEFAULT_MYSQL_CHARSET,
        }
    }

    /// Appends `key=value&...` parameters (oslo.db's `[database] connection_parameters`).
    pub fn add_parameters(&mut self, params: &str) -> Result<(), DbError> {
        let extra = parse_query(params.trim().trim_start_matches('?'))?;
        check_charsets(&extra)?;
        if let Target::Mysql(m) = &mut self.target {
            m.query.extend(extra);
        }
        Ok(())
    }

    /// What diesel connects with: a `mysql://` URL (with the password: never log it), or the
    /// SQLite file path, or `:memory:`.
    pub fn to_diesel_url(&self) -> Result<String, DbError> {
        match &self.target {
            Target::Sqlite(None) => Ok(":memory:".to_owned()),
            Target::Sqlite(Some(path)) => path
                .to_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid("the SQLite path is not valid UTF-8")),
            Target::Mysql(m) => {
                let mut url = String::from("mysql://");
                if let Some(user) = &m.user {
                    url.push_str(&utf8_percent_encode(user, COMPONENT).to_string());
                    if let Some(password) = &m.password {
                        url.push(':');
                        url.push_str(&utf8_percent_encode(password, COMPONENT).to_string());
                    }
                    url.push('@');
                }
                match (&m.host, m.ipv6) {
                    (Some(h), true) => url.push_str(&format!("[{h}]")),
                    (Some(h), false) => url.push_str(h),
                    (None, _) => url.push_str("localhost"),
                }
                if let Some(port) = m.port {
                    url.push_str(&format!(":{port}"));
                }
                url.push('/');
                url.push_str(&m.database);
                let passed: Vec<String> = m
                    .query
                    .iter()
                    .filter(|(k, _)| PASSED_QUERY_KEYS.contains(&k.as_str()))
                    .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, COMPONENT)))
                    .collect();
                if !passed.is_empty() {
                    url.push('?');
                    url.push_str(&passed.join("&"));
                }
                Ok(url)
            }
        }
    }
}

fn parse_mysql(rest: &str) -> Result<MysqlTarget, DbError> {
    // SQLAlchemy: user `[^:/]*`, password `[^@]*`, then '@'. An '@' after a '/' in the user
    // part belongs to the path or query instead.
    let (userinfo, rest) = match rest.split_once('@') {
        Some((info, after)) if !info.split(':').next().unwrap_or_default().contains('/') => (Some(info), after),
        _ => (None, rest),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(info) => match info.split_once(':') {
            Some((u, p)) => (Some(decode(u, "user name")?), Some(decode(p, "password")?)),
            None => (Some(decode(info, "user name")?), None),
        },
    };
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (hostport, database) = location.split_once('/').unwrap_or((location, ""));
    if hostport.contains('@') {
        // Most likely an unencoded '@' in the password: never echo any of it.
        return Err(invalid(
            "'@' in the host part: percent-encode '@' in the password as %40",
        ));
    }
    let (host, ipv6, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| invalid("unterminated IPv6 address (missing ']')"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| invalid("junk after the IPv6 address"))?,
            ),
        };
        (h, true, port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, false, Some(p)),
            None => (hostport, false, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().map_err(|_| invalid(format!("invalid port '{p}'")))?),
    };
    if database.is_empty() {
        return Err(invalid(
            "no database name (expected mysql+pymysql://user:password@host/<database>)",
        ));
    }
    if !database
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-')
    {
        return Err(invalid(format!(
            "unsupported database name '{database}' (letters, digits, '_', '$' and '-' only)"
        )));
    }
    let query = parse_query(query)?;
    check_charsets(&query)?;
    Ok(MysqlTarget {
        user,
        password,
        host: (!host.is_empty()).then(|| host.to_owned()),
        ipv6,
        port,
        database: database.to_owned(),
        query,
    })
}

/// `charset` ends up in `SET NAMES`: a bare identifier only.
fn check_charsets(query: &[(String, String)]) -> Result<(), DbError> {
    for (_, charset) in query.iter().filter(|(k, _)| k == "charset") {
        if charset.is_empty() || !charset.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(invalid(format!("invalid charset '{charset}'")));
        }
    }
    Ok(())
}

fn parse_sqlite(rest: &str) -> Result<Option<PathBuf>, DbError> {
    let rest = rest.split_once('?').map_or(rest, |(path, _)| path);
    if rest.is_empty() {
        return Ok(None);
    }
    let Some(path) = rest.strip_prefix('/') else {
        return Err(invalid(
            "SQLite URLs have no host: use sqlite:///relative/path, sqlite:////absolute/path or sqlite://",
        ));
    };
    if path.is_empty() || path == ":memory:" {
        return Ok(None);
    }
    Ok(Some(PathBuf::from(path)))
}

impl FromStr for DbUrl {
    type Err = DbError;

    fn from_str(s: &str) -> Result<Self, DbError> {
        Self::parse(s)
    }
}

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("pass") || k.contains("secret") || k.contains("token")
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        match &self.target {
            Target::Sqlite(None) => Ok(()),
            Target::Sqlite(Some(path)) => write!(f, "/{}", path.display()),
            Target::Mysql(m) => {
                if let Some(user) = &m.user {
                    write!(f, "{}", utf8_percent_encode(user, COMPONENT))?;
                    if m.password.is_some() {
                        f.write_str(":***")?;
                    }
                    f.write_str("@")?;
                }
                match (&m.host, m.ipv6) {
                    (Some(h), true) => write!(f, "[{h}]")?,
                    (Some(h), false) => f.write_str(h)?,
                    (None, _) => {}
                }
                if let Some(port) = m.port {
                    write!(f, ":{port}")?;
                }
                write!(f, "/{}", m.database)?;
                for (i, (k, v)) in m.query.iter().enumerate() {
                    let sep = if i == 0 { '?' } else { '&' };
                    let v = if is_secret_key(k) { "***".to_owned() } else { v.clone() };
                    write!(f, "{sep}{k}={v}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({:?})", self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> DbUrl {
        DbUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn kolla_mysql_url() {
        let url = parse("mysql+pymysql://sahara:s3cr%40t@10.0.0.5:3306/sahara");
        assert_eq!(url.backend(), Backend::Mysql);
        assert_eq!(url.database(), Some("sahara"));
        assert_eq!(url.user(), Some("sahara"));
        assert_eq!(url.charset(), "utf8");
        assert_eq!(
            url.to_diesel_url().unwrap(),
            "mysql://sahara:s3cr%40t@10.0.0.5:3306/sahara"
        );
        assert_eq!(url.to_string(), "mysql+pymysql://sahara:***@10.0.0.5:3306/sahara");
    }

    #[test]
    fn mysql_variants() {
        let url = parse("mysql://root@127.0.0.1/sahara?charset=utf8mb4&unix_socket=/run/mysqld/mysqld.sock");
        assert_eq!(url.charset(), "utf8mb4");
        assert_eq!(
            url.to_diesel_url().unwrap(),
            "mysql://root@127.0.0.1/sahara?unix_socket=%2Frun%2Fmysqld%2Fmysqld.sock"
        );
        let url = parse("mysql+pymysql://u:p@[fd00::5]:3307/sahara?charset=utf8&read_timeout=5");
        assert_eq!(url.to_diesel_url().unwrap(), "mysql://u:p@[fd00::5]:3307/sahara");
        assert_eq!(
            url.to_string(),
            "mysql+pymysql://u:***@[fd00::5]:3307/sahara?charset=utf8&read_timeout=5"
        );
        let url = parse("mariadb://u@/sahara");
        assert_eq!(url.to_diesel_url().unwrap(), "mysql://u@localhost/sahara");
        // A password with '/' and '?' (SQLAlchemy allows anything but '@').
        let url = parse("mysql+pymysql://u:a/b?c@db:3306/sahara");
        assert_eq!(url.to_diesel_url().unwrap(), "mysql://u:a%2Fb%3Fc@db:3306/sahara");
        assert_eq!(url.to_string(), "mysql+pymysql://u:***@db:3306/sahara");
    }

    #[test]
    fn connection_parameters_are_appended() {
        let mut url = parse("mysql+pymysql://u:p@db/sahara");
        url.add_parameters("charset=latin1&ssl_ca=/etc/ca.pem").unwrap();
        assert_eq!(url.charset(), "latin1");
        assert_eq!(
            url.to_diesel_url().unwrap(),
            "mysql://u:p@db/sahara?ssl_ca=%2Fetc%2Fca.pem"
        );
    }

    #[test]
    fn sqlite_forms() {
        assert!(parse("sqlite://").is_memory());
        assert!(parse("sqlite:///:memory:").is_memory());
        assert_eq!(parse("sqlite://").to_diesel_url().unwrap(), ":memory:");
        let rel = parse("sqlite:///var/sahara.db");
        assert_eq!(rel.sqlite_path(), Some(Path::new("var/sahara.db")));
        assert_eq!(rel.to_string(), "sqlite:///var/sahara.db");
        let abs = parse("sqlite:////var/lib/sahara/sahara.db?timeout=5");
        assert_eq!(abs.sqlite_path(), Some(Path::new("/var/lib/sahara/sahara.db")));
        assert_eq!(abs.to_diesel_url().unwrap(), "/var/lib/sahara/sahara.db");
        assert_eq!(abs.to_string(), "sqlite:////var/lib/sahara/sahara.db");
        assert_eq!(abs.backend(), Backend::Sqlite);
    }

    #[test]
    fn bad_urls_are_errors() {
        for bad in [
            "",
            "   ",
            "sahara.db",
            "postgresql://u:p@h/db",
            "mysql+pymysql://u:p@h",
            "mysql+pymysql://u:p@h/",
            "mysql+pymysql://u:p@h:port/db",
            "mysql+pymysql://u:p@h:99999/db",
            "mysql+pymysql://u:p@[::1/db",
            "mysql+pymysql://u:p@h/db%20x",
            "mysql+pymysql://u:p@h/db?charset=utf8;DROP",
            "sqlite://host/path",
            "my sql://h/db",
        ] {
            assert!(DbUrl::parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert!(matches!(DbUrl::parse("postgresql://h/db"), Err(DbError::UnsupportedBackend(b)) if b == "postgresql"));
        assert!(matches!(DbUrl::parse(""), Err(DbError::NoConnection)));
    }

    #[test]
    fn password_never_shown() {
        let secret = "Pa55w0rd-XyZ";
        for s in [
            format!("mysql+pymysql://sahara:{secret}@db:3306/sahara"),
            format!("mysql://sahara:{secret}@db/sahara?charset=utf8&password={secret}"),
            format!("mysql+pymysql://sahara:{secret}@db:notaport/sahara"),
            format!("mysql+pymysql://sahara:{secret}@db/"),
            format!("mysql+pymysql://sahara:{secret}@db/bad name"),
            format!("mysql+pymysql://sahara:{secret}@[db/sahara"),
            format!("mysql+pymysql://sahara:{secret}%ff@db/sahara"),
            format!("postgresql://sahara:{secret}@db/sahara"),
            secret.to_owned(),
            format!("mysql+pymysql://sahara:ab@{secret}@db/sahara"),
            format!("mysql+pymysql://sahara:ab@c:{secret}@db/sahara"),
        ] {
            match DbUrl::parse(&s) {
                Ok(url) => {
                    assert!(!url.to_string().contains(secret), "{url}");
                    assert!(!format!("{url:?}").contains(secret), "{url:?}");
                    assert!(url.to_diesel_url().unwrap().contains(secret));
                }
                Err(e) => {
                    assert!(!e.to_string().contains(secret), "{e}");
                    assert!(!format!("{e:?}").contains(secret), "{e:?}");
                }
            }
        }
    }
}
