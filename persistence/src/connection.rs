//! Connections to either backend, chosen by the URL's scheme, and their pool.

use crate::error::StoreError;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One connection type for both databases: the same query code runs on either. Only the SQL
/// types both share are available (Text, Integer, BigInt, Bool, Date, Timestamp…).
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the backend's own connection: for the few queries the
/// common connection type cannot express (`UNION ALL`), written once for both databases.
macro_rules! on_each_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::DbConnection::Postgres($c) => $body,
            $crate::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_each_backend;

/// Inserts `$rows` (a slice of `Insertable` rows) into `$table` with multi-row statements,
/// a few hundred rows each (within both databases' limits on bound parameters).
macro_rules! insert_batches {
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks(500) {
            $crate::connection::on_each_backend!(&mut *$conn, c => {
                diesel::insert_into($table).values(chunk).execute(c)
            })?;
        }
    };
}
pub(crate) use insert_batches;

/// Runs raw SQL that takes a list of rows (`WITH v(…) AS (VALUES …)`) on either backend.
/// `$sql` writes the statement given `values`, the rows' placeholders (`($1, $2), ($3, $4)` on
/// PostgreSQL, `(?, ?), (?, ?)` on SQLite) for `$columns` values a row; `$bind` binds one row
/// of `$rows` on `$query` and returns it. Returns what `execute` returns.
macro_rules! execute_with_rows {
    ($conn:expr, $columns:expr, $rows:expr, |$values:ident| $sql:expr, |$query:ident, $row:pat_param| $bind:expr) => {{
        let rows = $rows;
        let sql = |placeholder: &dyn Fn(usize) -> String| {
            let $values = $crate::connection::values_list(rows.len(), $columns, placeholder);
            $sql
        };
        match &mut *$conn {
            $crate::DbConnection::Postgres(c) => {
                let mut $query = diesel::sql_query(sql(&|i| format!("${i}"))).into_boxed();
                for $row in rows {
                    $query = $bind;
                }
                diesel::RunQueryDsl::execute($query, c)
            }
            $crate::DbConnection::Sqlite(c) => {
                let mut $query = diesel::sql_query(sql(&|_| "?".to_owned())).into_boxed();
                for $row in rows {
                    $query = $bind;
                }
                diesel::RunQueryDsl::execute($query, c)
            }
        }
    }};
}
pub(crate) use execute_with_rows;

/// The placeholders of `rows` rows of `columns` values, numbered from 1 in order:
/// `(p1, p2), (p3, p4)`.
pub(crate) fn values_list(
    rows: usize,
    columns: usize,
    placeholder: &dyn Fn(usize) -> String,
) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=columns)
                .map(|c| placeholder(r * columns + c))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where the database is: `sqlite://<path>` or `postgres://…` (`postgresql://…`).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads the URL by its scheme. A bare path is refused: SQLite would accept almost any
    /// string as a file name and silently create an empty database there.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, StoreError> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(raw.to_owned()))
        } else if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::Config(
                    "DATABASE_URL sqlite:// needs a file path, e.g. sqlite://./data/simpa.db"
                        .into(),
                ));
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else {
            // The value itself is not repeated: it may hold a password.
            Err(StoreError::Config(
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite://".into(),
            ))
        }
    }

    /// The embedded default: a SQLite file in the data directory.
    pub fn sqlite_in(data_dir: &Path) -> DatabaseUrl {
        DatabaseUrl::Sqlite(data_dir.join("simpa.db"))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    /// Never prints a password: the user-info part and the query string are left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
                let without_query = rest.split(['?', '#']).next().unwrap_or_default();
                let host_and_path = without_query
                    .rsplit_once('@')
                    .map_or(without_query, |(_, after)| after);
                write!(f, "{scheme}://{host_and_path}")
            }
        }
    }
}

/// Opens connections for the pool, with SQLite's per-connection settings, each counting the
/// statements it runs into `statements`.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    statements: Arc<AtomicU64>,
}

/// Counts the statements a connection runs (transactions' own included).
struct StatementCounter(Arc<AtomicU64>);

impl diesel::connection::Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, statements: Arc<AtomicU64>) -> Self {
        ConnectionManager { url, statements }
    }

    pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, StoreError> {
        let unavailable = |e: diesel::ConnectionError| {
            StoreError::Unavailable(format!("cannot connect to {url:?}: {e}"))
        };
        match url {
            DatabaseUrl::Postgres(raw) => Ok(DbConnection::Postgres(
                PgConnection::establish(raw).map_err(unavailable)?,
            )),
            DatabaseUrl::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(&path.to_string_lossy()).map_err(unavailable)?;
                // WAL is set once when the pool is built; these hold per connection.
                conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        let mut conn = Self::establish(&self.url)?;
        conn.set_instrumentation(StatementCounter(self.statements.clone()));
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        conn.batch_execute("SELECT 1").map_err(StoreError::from)
    }

    /// Diesel's rule: a connection given back while its thread panics, inside a transaction
    /// or with its transaction manager in error is closed, not reused (closing it rolls back
    /// whatever it held). Reusing it would run later use cases inside the open transaction.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn urls_are_printed_without_their_secrets() {
        let shown = |raw: &str| format!("{:?}", DatabaseUrl::parse(raw).unwrap());
        assert_eq!(
            shown("postgres://simpa:s3cret@db.ville.fr:5432/simpa"),
            "postgres://db.ville.fr:5432/simpa"
        );
        assert_eq!(
            shown("postgresql://db/simpa?password=s3cret&sslmode=require"),
            "postgresql://db/simpa"
        );
        assert_eq!(shown("postgres://u:p@ss@host/db"), "postgres://host/db");
        assert_eq!(
            shown("sqlite://./data/simpa.db"),
            "sqlite://./data/simpa.db"
        );
        let refused = DatabaseUrl::parse("user:s3cret@host/db")
            .unwrap_err()
            .to_string();
        assert!(!refused.contains("s3cret"), "{refused}");
    }
}

/// `column IN (values)` in a statement prepared once per connection, the values bound as one
/// JSON array. diesel's `eq_any` writes one placeholder per value on SQLite, so that its
/// statement is prepared again at each call (a quarter of a list's time). One value is
/// compared with `=`, so that an index on the column is read as a range, in its order.
pub(crate) fn one_of<C>(column: C, values: &[String]) -> OneOf<C> {
    let values = match values {
        [one] => Values::One(one.clone()),
        many => Values::Many(serde_json::to_string(many).unwrap_or_else(|_| "[]".into())),
    };
    OneOf { column, values }
}

/// What [`OneOf`] compares its column with.
#[derive(Debug, Clone)]
enum Values {
    One(String),
    /// A JSON array.
    Many(String),
}

/// See [`one_of`]: SQLite reads the array with `json_each`, PostgreSQL compares with `= ANY`
/// of the array it makes of it once.
#[derive(Debug, Clone)]
pub(crate) struct OneOf<C> {
    column: C,
    values: Values,
}

impl<C> diesel::Expression for OneOf<C> {
    type SqlType = diesel::sql_types::Bool;
}

impl<C: diesel::AppearsOnTable<QS>, QS> diesel::AppearsOnTable<QS> for OneOf<C> {}

impl<C: diesel::SelectableExpression<QS>, QS> diesel::SelectableExpression<QS> for OneOf<C> {}

impl<C> diesel::expression::ValidGrouping<()> for OneOf<C> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<C> diesel::query_builder::QueryId for OneOf<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: diesel::query_builder::QueryFragment<MultiBackend>>
    diesel::query_builder::QueryFragment<MultiBackend> for OneOf<C>
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, MultiBackend>,
    ) -> diesel::QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        let many = match &self.values {
            Values::One(one) => {
                out.push_sql(" = ");
                return out.push_bind_param::<diesel::sql_types::Text, _>(one);
            }
            Values::Many(many) => many,
        };
        let (open, close) = match out.backend() {
            MultiBackend::Sqlite(_) => (" IN (SELECT value FROM json_each(", "))"),
            MultiBackend::Postgres(_) => (
                " = ANY(ARRAY(SELECT json_array_elements_text(CAST(",
                " AS json))))",
            ),
        };
        out.push_sql(open);
        out.push_bind_param::<diesel::sql_types::Text, _>(many)?;
        out.push_sql(close);
        Ok(())
    }
}

/// An expression of raw SQL written for each database, without binds: unlike diesel's `sql`,
/// its statement is prepared once per connection.
pub(crate) struct PerBackend<ST> {
    pub sqlite: &'static str,
    pub postgres: &'static str,
    pub sql_type: std::marker::PhantomData<ST>,
}

impl<ST: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType> diesel::Expression
    for PerBackend<ST>
{
    type SqlType = ST;
}

impl<ST, QS> diesel::AppearsOnTable<QS> for PerBackend<ST> where PerBackend<ST>: diesel::Expression {}

impl<ST, QS> diesel::SelectableExpression<QS> for PerBackend<ST> where
    PerBackend<ST>: diesel::Expression
{
}

impl<ST> diesel::expression::ValidGrouping<()> for PerBackend<ST> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<ST> diesel::query_builder::QueryId for PerBackend<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST> diesel::query_builder::QueryFragment<MultiBackend> for PerBackend<ST> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, MultiBackend>,
    ) -> diesel::QueryResult<()> {
        let sql = match out.backend() {
            MultiBackend::Sqlite(_) => self.sqlite,
            MultiBackend::Postgres(_) => self.postgres,
        };
        out.push_sql(sql);
        Ok(())
    }
}

/// A statement of raw SQL over a list of ids bound between `before` and `after`. One id is
/// compared with `=`, in a statement prepared once per connection (diesel's `sql_query` is
/// prepared again at each call, and PostgreSQL's plan of it took longer than running it); a
/// list is bound as one value (`IN (SELECT value FROM json_each(?))` on SQLite, `= ANY($1)`
/// on PostgreSQL) and planned for its values at each call: a plan made once for any list
/// read whole tables.
pub(crate) struct OverIds<'a> {
    before: &'static str,
    ids: &'a [String],
    /// The ids as a JSON array, for SQLite.
    listed: String,
    after: &'static str,
}

impl diesel::query_builder::QueryId for OverIds<'_> {
    type QueryId = ();
    // Cached by its text, the same at each call.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl OverIds<'_> {
    /// Its SQL for one backend: `list` binds a list of ids the backend's way.
    fn walk<'b, DB>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
        list: impl FnOnce(diesel::query_builder::AstPass<'_, 'b, DB>) -> diesel::QueryResult<()>,
    ) -> diesel::QueryResult<()>
    where
        DB: diesel::backend::Backend + diesel::sql_types::HasSqlType<diesel::sql_types::Text>,
        String: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
    {
        out.push_sql(self.before);
        if let [one] = self.ids {
            out.push_sql(" = ");
            out.push_bind_param::<diesel::sql_types::Text, _>(one)?;
        } else {
            out.unsafe_to_cache_prepared();
            list(out.reborrow())?;
        }
        out.push_sql(self.after);
        Ok(())
    }
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for OverIds<'_> {
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> diesel::QueryResult<()> {
        self.walk(out, |mut out| {
            out.push_sql(" IN (SELECT value FROM json_each(");
            out.push_bind_param::<diesel::sql_types::Text, _>(&self.listed)?;
            out.push_sql("))");
            Ok(())
        })
    }
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for OverIds<'_> {
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> diesel::QueryResult<()> {
        self.walk(out, |mut out| {
            out.push_sql(" = ANY(");
            out.push_bind_param::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&self.ids)?;
            out.push_sql(")");
            Ok(())
        })
    }
}

impl<C> diesel::RunQueryDsl<C> for OverIds<'_> {}

impl<'a> OverIds<'a> {
    pub(crate) fn new(before: &'static str, ids: &'a [String], after: &'static str) -> Self {
        let listed = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        OverIds {
            before,
            ids,
            listed,
            after,
        }
    }

    /// Runs it on either backend: the rows it changed.
    pub(crate) fn execute(self, conn: &mut DbConnection) -> diesel::QueryResult<usize> {
        on_each_backend!(conn, c => diesel::RunQueryDsl::execute(self, c))
    }
}
