//! `canopy demo`: a realistic data set on a fresh database, written in bulk
//! (multi-row INSERTs in a few large transactions) so the large size takes
//! minutes, not hours. Deterministic: the same size gives the same data.
//!
//! The tree is root → customers → regions → sites; people live at sites; each
//! customer has an org admin, each region an approver and a team with a lead;
//! projects belong to customers and regions; everyone logs a year of weeks
//! (older weeks approved, last week submitted and waiting, this week a draft,
//! a few weeks missing).
//!
//! SQL text is assembled from values generated here (numbers, dates and names
//! from the lists below, quotes doubled), never from input.

mod bulk;
mod names;

use chrono::{Duration, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::authz::roles::BuiltinRole;
use crate::db::{Conn, Db, schema::orgs};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::{epoch, role, timesheet};
use crate::error::{Error, Result};

use bulk::{Bulk, next_id, q, sync_sequences, ts};
use names::{CITIES, COMPANIES, FIRST, LAST, REGIONS, WORK};

/// The password of every demo account.
pub const PASSWORD: &str = "canopy-demo-2026";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    Small,
    Medium,
    Large,
}

/// How big each part of a size is.
struct Shape {
    customers: usize,
    regions: usize,
    sites: usize,
    users: usize,
    projects: usize,
    weeks: i64,
    /// Days with time in a full week.
    days: i64,
}

impl Size {
    fn shape(self) -> Shape {
        match self {
            Size::Small => Shape {
                customers: 4,
                regions: 3,
                sites: 4,
                users: 60,
                projects: 12,
                weeks: 8,
                days: 5,
            },
            Size::Medium => Shape {
                customers: 50,
                regions: 10,
                sites: 19,
                users: 2_000,
                projects: 200,
                weeks: 52,
                days: 5,
            },
            Size::Large => Shape {
                customers: 200,
                regions: 20,
                sites: 24,
                users: 20_000,
                projects: 2_000,
                weeks: 52,
                days: 2,
            },
        }
    }
}

/// What was made, and how to sign in.
#[derive(Debug, Default)]
pub struct Summary {
    pub orgs: usize,
    pub users: usize,
    pub projects: usize,
    pub sheets: usize,
    pub entries: usize,
    /// (who, email): every one signs in with [`PASSWORD`].
    pub sign_ins: Vec<(String, String)>,
}

/// An org being generated.
struct Node {
    id: i64,
    name: String,
    /// Ancestors from the root down, then the node itself.
    path: Vec<i64>,
    customer: usize,
    region: Option<i64>,
}

struct Person {
    id: i64,
    customer: usize,
    region: i64,
    projects: Vec<i64>,
}

/// Generates the data set of `size` into `db`, which must hold nothing but the
/// root org (and perhaps administrators). `password_hash` is the bcrypt hash
/// of [`PASSWORD`], computed once by the caller. `progress` hears each phase.
pub fn generate(
    db: &Db,
    size: Size,
    password_hash: &str,
    today: NaiveDate,
    progress: &dyn Fn(&str),
) -> Result<Summary> {
    let shape = size.shape();
    let mut rng = StdRng::seed_from_u64(2026);
    let now = crate::db::now();
    let mut summary = Summary::default();

    // 1. The tree, with its closure table.
    progress("organizations");
    let (root, nodes) = db.write_sync(|conn| {
        let count: i64 = orgs::table.count().get_result(conn)?;
        if count > 1 {
            return Err(Error::conflict(
                "canopy demo fills a fresh database: this one already has organizations.",
            ));
        }
        let root: i64 = orgs::table
            .filter(orgs::parent_id.is_null())
            .select(orgs::id)
            .first(conn)?;
        let mut id = next_id(conn, "orgs")?;
        let mut nodes: Vec<Node> = Vec::new();
        let mut org_rows = Bulk::new(
            "orgs",
            "id, parent_id, name, name_key, code, code_key, kind, city, country, email_domains, created_at, updated_at",
        );
        let mut closure = Bulk::new("org_closure", "ancestor_id, descendant_id, depth");
        let mut add = |conn: &mut Conn,
                       parent: &[i64],
                       name: String,
                       code: String,
                       kind: &str,
                       city: &str,
                       domain: &str|
         -> Result<(i64, Vec<i64>)> {
            let this = id;
            id += 1;
            org_rows.push(
                conn,
                format!(
                    "({this}, {}, {}, {}, {}, {}, {}, {}, 'PT', {}, {}, {})",
                    parent.last().copied().unwrap_or(root),
                    q(&name),
                    q(&name.to_lowercase()),
                    q(&code),
                    q(&code.to_lowercase()),
                    q(kind),
                    q(city),
                    q(domain),
                    ts(now),
                    ts(now)
                ),
            )?;
            let mut path = parent.to_vec();
            path.push(this);
            let depth = path.len();
            for (i, a) in path.iter().enumerate() {
                let row = format!("({a}, {this}, {})", depth - 1 - i);
                closure.push_after(conn, row, &mut [&mut org_rows])?;
            }
            Ok((this, path))
        };
        for c in 0..shape.customers {
            let company = COMPANIES[c % COMPANIES.len()];
            let name = if c < COMPANIES.len() {
                company.to_string()
            } else {
                format!("{company} {}", c / COMPANIES.len() + 1)
            };
            let code = format!("C{:04}", c + 1);
            let domain = format!("{}.demo", code.to_lowercase());
            let (cid, cpath) =
                add(conn, &[root], name.clone(), code.clone(), "customer", "", &domain)?;
            nodes.push(Node {
                id: cid,
                name,
                path: cpath.clone(),
                customer: c,
                region: None,
            });
            for r in 0..shape.regions {
                let rname = format!("{} {}", REGIONS[r % REGIONS.len()], r / REGIONS.len() + 1);
                let (rid, rpath) = add(
                    conn,
                    &cpath,
                    rname.clone(),
                    format!("{code}-R{:02}", r + 1),
                    "region",
                    "",
                    "",
                )?;
                nodes.push(Node {
                    id: rid,
                    name: rname,
                    path: rpath.clone(),
                    customer: c,
                    region: Some(rid),
                });
                for s in 0..shape.sites {
                    let city = CITIES[(c + r + s) % CITIES.len()];
                    let sname = format!("{city} site {}", s + 1);
                    let (sid, spath) = add(
                        conn,
                        &rpath,
                        sname.clone(),
                        format!("{code}-R{:02}-S{:02}", r + 1, s + 1),
                        "site",
                        city,
                        "",
                    )?;
                    nodes.push(Node {
                        id: sid,
                        name: sname,
                        path: spath,
                        customer: c,
                        region: Some(rid),
                    });
                }
            }
        }
        org_rows.flush(conn)?;
        closure.flush(conn)?;
        // Each customer's domain becomes a claim, unverified as any new one.
        crate::domain::org::domains::claim_listed(conn)?;
        Ok((root, nodes))
    })?;
    summary.orgs = nodes.len();
    let customers: Vec<&Node> = nodes.iter().filter(|n| n.region.is_none()).collect();
    let sites: Vec<&Node> = nodes.iter().filter(|n| n.path.len() == 4).collect();

    // 2. People, grants, projects, assignments and teams.
    progress("people, projects and teams");
    let people: Vec<Person> = db.write_sync(|conn| {
        let owner_role = role::builtin_id(conn, BuiltinRole::Owner)?;
        let admin_role = role::builtin_id(conn, BuiltinRole::OrgAdmin)?;
        let approver_role = role::builtin_id(conn, BuiltinRole::Approver)?;
        let mut user_id = next_id(conn, "users")?;
        let mut users_bulk = Bulk::new(
            "users",
            "id, org_id, email, email_key, display_name, job_title, status, password_hash, created_at, updated_at",
        );
        let mut people: Vec<Person> = Vec::with_capacity(shape.users);
        let mut add_user = |conn: &mut Conn, home: &Node, email: &str, name: &str, title: &str| -> Result<i64> {
            let this = user_id;
            user_id += 1;
            users_bulk.push(
                conn,
                format!(
                    "({this}, {}, {}, {}, {}, {}, 'active', {}, {}, {})",
                    home.id,
                    q(email),
                    q(&email.to_lowercase()),
                    q(name),
                    q(title),
                    q(password_hash),
                    ts(now),
                    ts(now)
                ),
            )?;
            Ok(this)
        };
        let owner = add_user(conn, &nodes[0], "owner@canopy.demo", "Olivia Owner", "Platform owner")?;
        // The first owner's home is the first customer; the grant is at the root.
        let first_customer_domain = "c0001.demo";
        let admin = add_user(conn, customers[0], &format!("admin@{first_customer_domain}"), "Alex Admin", "Org admin")?;
        let approver_site = sites[0];
        let approver = add_user(conn, approver_site, &format!("approver@{first_customer_domain}"), "Avery Approver", "Team lead")?;
        let employee = add_user(conn, approver_site, &format!("employee@{first_customer_domain}"), "Emil Employee", "Consultant")?;
        for i in 0..shape.users.saturating_sub(4) {
            let site = sites[i % sites.len()];
            let first = FIRST[rng.random_range(0..FIRST.len())];
            let last = LAST[rng.random_range(0..LAST.len())];
            let email = format!(
                "{}.{}{}@c{:04}.demo",
                first.to_lowercase(),
                last.to_lowercase().replace(['\'', ' '], ""),
                i + 1,
                site.customer + 1
            );
            let id = add_user(conn, site, &email, &format!("{first} {last}"), "Consultant")?;
            people.push(Person {
                id,
                customer: site.customer,
                region: site.region.unwrap_or(site.id),
                projects: vec![],
            });
        }
        for (id, home) in [(approver, approver_site), (employee, approver_site)] {
            people.push(Person {
                id,
                customer: home.customer,
                region: home.region.unwrap_or(home.id),
                projects: vec![],
            });
        }
        users_bulk.flush(conn)?;

        let mut grants = Bulk::new("grants", "role_id, user_id, org_id, descendants, granted_by, created_at");
        grants.push(conn, format!("({owner_role}, {owner}, {root}, TRUE, NULL, {})", ts(now)))?;
        grants.push(conn, format!("({admin_role}, {admin}, {}, TRUE, {owner}, {})", customers[0].id, ts(now)))?;
        // Every other customer's first person runs it; every region's first
        // person approves there.
        let mut seen_customer = vec![false; shape.customers];
        let mut seen_region = std::collections::HashSet::new();
        seen_customer[0] = true;
        for p in &people {
            if !seen_customer[p.customer] {
                seen_customer[p.customer] = true;
                grants.push(conn, format!("({admin_role}, {}, {}, TRUE, {owner}, {})", p.id, customers[p.customer].id, ts(now)))?;
            }
            if seen_region.insert(p.region) {
                grants.push(conn, format!("({approver_role}, {}, {}, TRUE, {owner}, {})", p.id, p.region, ts(now)))?;
            }
        }
        grants.flush(conn)?;

        // Projects: per customer, at the customer or one of its regions.
        let first_project = next_id(conn, "projects")?;
        let mut projects_bulk = Bulk::new(
            "projects",
            "id, org_id, tenant_id, code, code_key, name, client_name, status, start_date, budget_minutes, created_at, updated_at",
        );
        let mut by_customer: Vec<Vec<i64>> = vec![vec![]; shape.customers];
        let start = today - Duration::days(7 * shape.weeks + 30);
        for (n, project_id) in (0..shape.projects).zip(first_project..) {
            let c = n % shape.customers;
            let regions: Vec<&Node> = nodes
                .iter()
                .filter(|x| x.customer == c && x.path.len() == 3)
                .collect();
            let at = if n % 3 == 0 || regions.is_empty() {
                customers[c].id
            } else {
                regions[rng.random_range(0..regions.len())].id
            };
            let code = format!("P{:05}", n + 1);
            let name = format!("{} {}", WORK[n % WORK.len()], n / WORK.len() + 1);
            let budget = rng.random_range(200..5000) * 60;
            projects_bulk.push(
                conn,
                format!(
                    "({project_id}, {at}, {}, {}, {}, {}, {}, 'active', '{start}', {budget}, {}, {})",
                    customers[c].id,
                    q(&code),
                    q(&code.to_lowercase()),
                    q(&name),
                    q(COMPANIES[c % COMPANIES.len()]),
                    ts(now),
                    ts(now)
                ),
            )?;
            by_customer[c].push(project_id);
        }
        projects_bulk.flush(conn)?;

        let mut assignments = Bulk::new(
            "project_assignments",
            "project_id, user_id, role, minutes_per_week, start_date, created_at, updated_at",
        );
        let mut teams_bulk = Bulk::new("teams", "id, org_id, name, name_key, created_at, updated_at");
        let mut members = Bulk::new("team_members", "team_id, user_id, lead, created_at");
        let mut team_of_region: std::collections::HashMap<i64, (i64, usize)> = std::collections::HashMap::new();
        let mut team_id = next_id(conn, "teams")?;
        for p in &mut people {
            let options = &by_customer[p.customer];
            if options.is_empty() {
                continue;
            }
            let first = options[rng.random_range(0..options.len())];
            p.projects.push(first);
            if options.len() > 1 && rng.random_bool(0.4) {
                let second = options[rng.random_range(0..options.len())];
                if second != first {
                    p.projects.push(second);
                }
            }
            let role = if p.id == approver { "approver" } else { "member" };
            for project in &p.projects {
                assignments.push(
                    conn,
                    format!("({project}, {}, '{role}', 2400, '{start}', {}, {})", p.id, ts(now), ts(now)),
                )?;
            }
            let entry = team_of_region.entry(p.region).or_insert_with(|| {
                let t = team_id;
                team_id += 1;
                (t, 0)
            });
            if entry.1 == 0 {
                let region_name = nodes
                    .iter()
                    .find(|n| n.id == p.region)
                    .map(|n| n.name.clone())
                    .unwrap_or_default();
                let team = format!("{region_name} crew");
                teams_bulk.push(
                    conn,
                    format!(
                        "({}, {}, {}, {}, {}, {})",
                        entry.0,
                        p.region,
                        q(&team),
                        q(&team.to_lowercase()),
                        ts(now),
                        ts(now)
                    ),
                )?;
            }
            if entry.1 < 30 {
                let lead = entry.1 == 0 || p.id == approver;
                let row = format!("({}, {}, {lead}, {})", entry.0, p.id, ts(now));
                members.push_after(conn, row, &mut [&mut teams_bulk])?;
                entry.1 += 1;
            }
        }
        assignments.flush(conn)?;
        teams_bulk.flush(conn)?;
        members.flush(conn)?;
        summary.sign_ins = vec![
            ("Owner of the root".into(), "owner@canopy.demo".into()),
            (format!("Org admin of {}", COMPANIES[0]), format!("admin@{first_customer_domain}")),
            ("Approver of a region, project approver and team lead".into(), format!("approver@{first_customer_domain}")),
            ("Employee".into(), format!("employee@{first_customer_domain}")),
        ];
        summary.projects = shape.projects;
        Ok(people)
    })?;
    summary.users = people.len() + 2;

    // 3. A year of weeks, in transactions of a few thousand people each.
    progress("timesheets");
    let this_week = timesheet::week_start_of(today, chrono::Weekday::Mon);
    for chunk in people.chunks(2_000) {
        let (sheets, entries) = db.write_sync(|conn| {
            let mut sheet_id = next_id(conn, "timesheets")?;
            let mut sheets = Bulk::new(
                "timesheets",
                "id, user_id, week_start, status, approval_mode, submitted_at, decided_at, version, created_at, updated_at",
            );
            let mut entries = Bulk::new("time_entries", "timesheet_id, user_id, project_id, entry_date, minutes, note");
            let mut parts = Bulk::new(
                "approval_parts",
                "timesheet_id, project_id, user_id, week_start, status, minutes",
            );
            for p in chunk {
                if p.projects.is_empty() {
                    continue;
                }
                for w in 0..shape.weeks {
                    let week = this_week - Duration::days(7 * (shape.weeks - 1 - w));
                    if week != this_week && rng.random_bool(0.04) {
                        continue; // a missing week
                    }
                    let (status, submitted, decided) = if week == this_week {
                        ("draft", "NULL".to_string(), "NULL".to_string())
                    } else if week == this_week - Duration::days(7) {
                        ("submitted", ts(now), "NULL".to_string())
                    } else {
                        let at = (week + Duration::days(7)).and_hms_opt(9, 0, 0).unwrap_or(now);
                        ("approved", ts(at), ts(at))
                    };
                    sheets.push(
                        conn,
                        format!(
                            "({sheet_id}, {}, '{week}', '{status}', 'project', {submitted}, {decided}, 1, {}, {})",
                            p.id,
                            ts(now),
                            ts(now)
                        ),
                    )?;
                    let mut per_project: std::collections::BTreeMap<i64, i64> = Default::default();
                    for d in 0..shape.days {
                        let day = week + Duration::days(d);
                        if day > today {
                            break;
                        }
                        let project = p.projects[rng.random_range(0..p.projects.len())];
                        let minutes = rng.random_range(28..=36) * 15;
                        *per_project.entry(project).or_default() += minutes;
                        let row =
                            format!("({sheet_id}, {}, {project}, '{day}', {minutes}, '')", p.id);
                        entries.push_after(conn, row, &mut [&mut sheets])?;
                    }
                    if status == "submitted" {
                        for (project, minutes) in per_project {
                            let row = format!(
                                "({sheet_id}, {project}, {}, '{week}', 'pending', {minutes})",
                                p.id
                            );
                            parts.push_after(conn, row, &mut [&mut sheets])?;
                        }
                    }
                    sheet_id += 1;
                }
            }
            let sheets = sheets.flush(conn)?;
            parts.flush(conn)?;
            Ok((sheets, entries.flush(conn)?))
        })?;
        summary.sheets += sheets;
        summary.entries += entries;
        progress(&format!(
            "  {} sheets, {} entries",
            summary.sheets, summary.entries
        ));
    }

    // 4. Fresh planner statistics after the bulk load (PostgreSQL's autovacuum
    // would get there later, if it is on; reports should not wait for it). On
    // PostgreSQL a VACUUM as well: it marks the loaded pages all-visible, which
    // index-only scans need (the month's totals of a roll-up read 20k rows from
    // the index instead of 16k heap pages).
    let after_load = match db.backend() {
        crate::db::Backend::Postgres => "VACUUM (ANALYZE)",
        crate::db::Backend::Sqlite => "ANALYZE",
    };
    db.read_sync(|conn| Ok(conn.batch_execute(after_load)?))?;

    // 5. Sequences, the resolver's epoch, and one audit entry.
    db.write_sync(|conn| {
        sync_sequences(conn)?;
        epoch::bump_tree(conn)?;
        audit::record(
            conn,
            &Actor::cli(),
            Event::new("demo.generated", Target::Org, Some(root))
                .org(root)
                .after(json!({
                    "orgs": summary.orgs, "users": summary.users, "projects": summary.projects,
                    "sheets": summary.sheets, "entries": summary.entries,
                })),
        )
    })?;
    Ok(summary)
}
