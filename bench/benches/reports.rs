//! Every report over a data set made by `canopy demo`, on whichever backend
//! `CANOPY_BENCH_DATABASE_URL` names (a SQLite path or a `postgres://` URL):
//!
//! ```text
//! canopy demo --size large                      # with CANOPY_DATABASE_URL set
//! CANOPY_BENCH_DATABASE_URL=… cargo bench -p canopy-bench --bench reports
//! ```
//!
//! Each report runs as the root's owner for the first customer's subtree (501
//! orgs of the large set) over the last full year, then the monthly report for
//! one month. Without the variable the bench says so and measures nothing.

use std::hint::black_box;

use canopy::authz::{Access, AuthzStore};
use canopy::db::Db;
use canopy::domain::report::{self, Filter, REPORTS};
use canopy::domain::user;
use chrono::{Duration, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};

struct Setup {
    db: Db,
    access: Access,
    customer: i64,
    today: NaiveDate,
}

fn setup() -> Option<Setup> {
    let url = std::env::var("CANOPY_BENCH_DATABASE_URL").ok()?;
    let db = Db::connect(&url, 2).expect("bench database");
    let store = AuthzStore::new();
    let (access, customer) = db
        .read_sync(|conn| {
            let owner = user::find_by_email(conn, "owner@canopy.demo")?
                .expect("a database made by `canopy demo`");
            let snapshot = store.fresh(conn)?;
            // The first customer's admin lives at the customer itself.
            let customer = user::find_by_email(conn, "admin@c0001.demo")?
                .expect("the demo's org admin")
                .org_id;
            Ok((
                Access {
                    user_id: owner.id,
                    snapshot,
                },
                customer,
            ))
        })
        .expect("owner and snapshot");
    Some(Setup {
        db,
        access,
        customer,
        today: canopy::db::now().date(),
    })
}

fn reports(c: &mut Criterion) {
    let Some(s) = setup() else {
        eprintln!("CANOPY_BENCH_DATABASE_URL is not set: no report is measured.");
        return;
    };
    let backend = s.db.backend().name();
    let year = Filter {
        org_id: s.customer,
        from: s.today - Duration::days(364),
        to: s.today,
        project_id: None,
        team_id: None,
        user_id: None,
    };
    let mut group = c.benchmark_group(format!("reports/{backend}/customer-year"));
    group.sample_size(10);
    for (name, _) in REPORTS {
        group.bench_function(*name, |b| {
            b.iter(|| {
                s.db.read_sync(|conn| report::run(conn, &s.access, name, black_box(&year)))
                    .expect("report runs")
            })
        });
    }
    group.finish();
    let month = Filter {
        from: s.today - Duration::days(30),
        ..year
    };
    let mut group = c.benchmark_group(format!("reports/{backend}/customer-month"));
    group.sample_size(10);
    group.bench_function("monthly-by-project", |b| {
        b.iter(|| {
            s.db.read_sync(|conn| {
                report::run(conn, &s.access, "monthly-by-project", black_box(&month))
            })
            .expect("report runs")
        })
    });
    group.finish();
}

criterion_group!(benches, reports);
criterion_main!(benches);
