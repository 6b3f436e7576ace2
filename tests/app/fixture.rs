//! The one tree the API tests start from:
//!
//! ```text
//! Root ─┬─ Acme (customer) ─┬─ East (region) ── Boston (site)
//!       │                   └─ West (region)
//!       └─ Globex (customer)
//! ```
//!
//! Ada owns the root and holds the `ada` token. Nobody else exists until a test
//! asks for them by name (`person`, `org_admin`), so the counts a test asserts
//! are the people and grants it made itself.

use serde_json::json;

use crate::helpers::*;

pub struct Tree {
    pub app: TestApp,
    /// Ada's API token: the root's Owner.
    pub ada: String,
    pub root: i64,
    pub acme: i64,
    pub east: i64,
    pub west: i64,
    pub boston: i64,
    pub globex: i64,
}

/// Someone the test made: their user id and an API token.
pub struct Person {
    pub id: i64,
    pub token: String,
}

impl Person {
    /// Both at once, for `let (olga_id, olga) = …`.
    pub fn id_and_token(self) -> (i64, String) {
        (self.id, self.token)
    }
}

/// Lets a file's world (the tree plus that file's own cast, in a field
/// `tree`) read the tree's fields and helpers as its own.
macro_rules! on_the_tree {
    ($world:ty) => {
        impl std::ops::Deref for $world {
            type Target = $crate::fixture::Tree;
            fn deref(&self) -> &$crate::fixture::Tree {
                &self.tree
            }
        }
    };
}
pub(crate) use on_the_tree;

impl std::ops::Deref for Tree {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl Tree {
    pub async fn new() -> Tree {
        Tree::with_settings(&[]).await
    }

    /// The tree on an app started with extra `CANOPY_*` settings.
    pub async fn with_settings(extra: &[(&str, &str)]) -> Tree {
        let app = spawn_app_with(extra).await;
        let owner = app.create_default_admin().await;
        let ada = app.create_token(owner.id, "").await;
        let root = app.root_id().await;
        let org = async |parent: i64, name: &str, code: &str, kind: &str| {
            let body = json!({"parent_id": parent, "name": name, "code": code, "kind": kind});
            app.post_created(&ada, "/orgs", body).await["id"]
                .as_i64()
                .unwrap()
        };
        let acme = org(root, "Acme", "ACME", "customer").await;
        let east = org(acme, "East", "ACME-EAST", "region").await;
        let west = org(acme, "West", "ACME-WEST", "region").await;
        let boston = org(east, "Boston", "ACME-BOS", "site").await;
        let globex = org(root, "Globex", "GLOBEX", "customer").await;
        Tree {
            app,
            ada,
            root,
            acme,
            east,
            west,
            boston,
            globex,
        }
    }

    /// A user at home in `home` with the test password, no grants, and a
    /// token; named after their email ("olga@…" is "Olga").
    pub async fn person(&self, email: &str, home: i64) -> Person {
        let local = email.split('@').next().unwrap_or(email);
        let name = local[..1].to_uppercase() + &local[1..];
        let user = self.app.create_user(email, &name, home).await;
        Person {
            id: user.id,
            token: self.app.create_token(user.id, "").await,
        }
    }

    /// A person at home in `org_id` who is its Org admin (and below).
    pub async fn org_admin(&self, email: &str, org_id: i64) -> Person {
        let person = self.person(email, org_id).await;
        self.app
            .grant_role(&self.ada, "Org admin", person.id, org_id)
            .await;
        person
    }
}

impl Tree {
    /// A person at home in `home` holding `role` at `at` (and below).
    pub async fn member(&self, email: &str, home: i64, role: &str, at: i64) -> Person {
        let person = self.person(email, home).await;
        self.app.grant_role(&self.ada, role, person.id, at).await;
        person
    }
}
