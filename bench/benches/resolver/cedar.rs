//! The same questions put to `cedar-policy`, for the baseline.

use super::*;

// ---------------------------------------------------------------------------
// Cedar model
// ---------------------------------------------------------------------------

pub(crate) fn org_uid(id: i64) -> EntityUid {
    EntityUid::from_str(&format!("Canopy::Org::\"{id}\"")).expect("org uid")
}

pub(crate) fn user_uid(id: i64) -> EntityUid {
    EntityUid::from_str(&format!("Canopy::User::\"{id}\"")).expect("user uid")
}

pub(crate) fn action_uid(p: Permission) -> EntityUid {
    EntityUid::from_str(&format!("Canopy::Action::\"{}\"", p.name())).expect("action uid")
}

/// The one policy: the principal carries the orgs where they hold the asked
/// permission (`orgs`: with descendants, `here`: this org only).
pub(crate) const ONE_POLICY: &str = r#"
permit(principal, action, resource)
when { resource in principal.orgs || principal.here.contains(resource) };
"#;

/// One policy per live grant of the user.
pub(crate) fn grant_policies(ds: &DataSet, user_pos: usize) -> (PolicySet, usize) {
    let mut src = String::new();
    let user = &ds.users[user_pos];
    let mut n = 0;
    for &g in &ds.grants_of[user_pos] {
        let g = &ds.grants[g as usize];
        if g.expires_at.is_some_and(|at| at <= now()) {
            continue;
        }
        let actions = g
            .permissions
            .iter()
            .map(|p| format!("Canopy::Action::\"{}\"", p.name()))
            .collect::<Vec<_>>()
            .join(", ");
        let op = if g.descendants { "in" } else { "==" };
        src.push_str(&format!(
            "@id(\"grant{}\")\npermit(principal == Canopy::User::\"{}\", action in [{actions}], resource {op} Canopy::Org::\"{}\");\n",
            g.id, user.id, g.org_id
        ));
        n += 1;
    }
    (PolicySet::from_str(&src).expect("grant policies parse"), n)
}

/// The org chain of the questioned org as entities (each with its parent).
pub(crate) fn chain_entities(ds: &DataSet, org_id: i64) -> Vec<Entity> {
    ds.chain(org_id)
        .into_iter()
        .map(|id| {
            let parents = ds.orgs[ds.org_pos(id)]
                .parent_id
                .map(|p| HashSet::from([org_uid(p)]))
                .unwrap_or_default();
            Entity::new_no_attrs(org_uid(id), parents)
        })
        .collect()
}

pub(crate) struct CedarQuestion {
    pub(crate) q: Question,
    pub(crate) request: Request,
    /// For the one-policy model: org chain + user with `orgs`/`here`.
    pub(crate) entities_one: Entities,
    /// For the N-policy model: org chain + a bare user.
    pub(crate) entities_n: Entities,
    pub(crate) user_pos: usize,
    /// Position in the list of cedar questions.
    pub(crate) index: usize,
}

pub(crate) fn cedar_questions(ds: &DataSet, qs: &[Question]) -> Vec<CedarQuestion> {
    let user_pos: HashMap<i64, usize> = ds
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id, i))
        .collect();
    qs.iter()
        .enumerate()
        .map(|(index, q)| {
            let u = user_pos[&q.user];
            let mut orgs = Vec::new();
            let mut here = Vec::new();
            for &g in &ds.grants_of[u] {
                let g = &ds.grants[g as usize];
                if g.expires_at.is_some_and(|at| at <= now()) || !g.permissions.contains(q.perm) {
                    continue;
                }
                let e = RestrictedExpression::new_entity_uid(org_uid(g.org_id));
                if g.descendants {
                    orgs.push(e)
                } else {
                    here.push(e)
                }
            }
            let user_one = Entity::new(
                user_uid(q.user),
                HashMap::from([
                    ("orgs".to_string(), RestrictedExpression::new_set(orgs)),
                    ("here".to_string(), RestrictedExpression::new_set(here)),
                ]),
                HashSet::new(),
            )
            .expect("user entity");
            let user_n = Entity::new_no_attrs(user_uid(q.user), HashSet::new());
            let chain = chain_entities(ds, q.org);
            let entities_one = Entities::from_entities(
                chain.iter().cloned().chain(std::iter::once(user_one)),
                None,
            )
            .expect("entities");
            let entities_n =
                Entities::from_entities(chain.into_iter().chain(std::iter::once(user_n)), None)
                    .expect("entities");
            let request = Request::new(
                user_uid(q.user),
                action_uid(q.perm),
                org_uid(q.org),
                Context::empty(),
                None,
            )
            .expect("request");
            CedarQuestion {
                q: *q,
                request,
                entities_one,
                entities_n,
                user_pos: u,
                index,
            }
        })
        .collect()
}
