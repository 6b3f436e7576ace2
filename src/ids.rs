//! Ids that must not be mixed up: where a function takes the ids of two
//! different kinds of record (a project and a user, a user and an org), each
//! is its own type, so swapping two arguments is a compile error rather than
//! a query about the wrong row. Stored and serialized as the plain integer
//! (`BIGINT`, a JSON number); handlers parse into them at the edge, and
//! `.0` gives the integer where a record's own field is still an `i64`.
//! A leaf that imports nothing of the crate, so the resolver (`authz`) and
//! the domain rules take the same types; `domain::ids` re-exports them.

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB> for $name
        where
            DB: diesel::backend::Backend,
            i64: diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                i64::from_sql(bytes).map($name)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::BigInt, DB> for $name
        where
            DB: diesel::backend::Backend,
            i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.0.to_sql(out)
            }
        }
    };
}

id_type! {
    /// The id of an org (`orgs.id`).
    OrgId
}

id_type! {
    /// The id of a user (`users.id`).
    UserId
}

id_type! {
    /// The id of a project (`projects.id`).
    ProjectId
}

id_type! {
    /// The id of a group (`groups.id`).
    GroupId
}

id_type! {
    /// The id of a team (`teams.id`).
    TeamId
}
