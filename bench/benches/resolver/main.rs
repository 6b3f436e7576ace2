//! Benchmarks of the permission resolver (`canopy::authz::Snapshot`), with
//! `cedar-policy` answering the same question in the same run as a baseline.
//!
//! Run with `cargo bench -p canopy-bench`. Besides criterion's means, the run
//! prints per-check percentiles (p50/p99) measured with a plain loop, the hit
//! rate of the questions, and the snapshot/cedar ratio. The numbers are written
//! up in `docs/performance.md`.
//!
//! Every data set is generated from a fixed seed (a small xorshift below), so two
//! runs measure the same orgs, users, grants and questions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use canopy::authz::snapshot::{GrantRow, OrgRow, UserRow};
use canopy::authz::{BuiltinRole, Permission, Reason, Snapshot};
use canopy::ids::{OrgId, UserId};
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, Entity, EntityUid, PolicySet,
    Request, RestrictedExpression,
};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

mod cedar;
mod data;

use cedar::*;
use data::*;

// ---------------------------------------------------------------------------
// Questions
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Question {
    user: i64,
    perm: Permission,
    org: i64,
}

/// Random questions: 40% aimed at or below one of the user's grants (likely
/// hits), 10% at the user's home org, 50% at a random org (mostly misses).
/// Every question draws a fresh random user, permission and org.
fn questions(ds: &DataSet, n: usize, seed: u64) -> Vec<Question> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let u = rng.below(ds.users.len());
            let perm = Permission::ALL[rng.below(Permission::ALL.len())];
            question_for(ds, &mut rng, u, perm)
        })
        .collect()
}

/// Questions shaped like list pages: runs of `rows` checks by one user for one
/// permission, on orgs drawn as in `questions`.
fn list_questions(ds: &DataSet, n: usize, rows: usize, seed: u64) -> Vec<Question> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let u = rng.below(ds.users.len());
        let perm = Permission::ALL[rng.below(Permission::ALL.len())];
        for _ in 0..rows.min(n - out.len()) {
            out.push(question_for(ds, &mut rng, u, perm));
        }
    }
    out
}

fn question_for(ds: &DataSet, rng: &mut Rng, u: usize, perm: Permission) -> Question {
    let user = &ds.users[u];
    let roll = rng.below(100);
    let org = if roll < 40 && !ds.grants_of[u].is_empty() {
        let g = &ds.grants[ds.grants_of[u][rng.below(ds.grants_of[u].len())] as usize];
        let mut pos = ds.org_pos(g.org_id);
        for _ in 0..rng.range(0, 3) {
            let kids = &ds.children[pos];
            if kids.is_empty() {
                break;
            }
            pos = kids[rng.below(kids.len())] as usize;
        }
        pos as i64 + 1
    } else if roll < 50 {
        user.home_org_id
    } else {
        rng.below(ds.orgs.len()) as i64 + 1
    };
    Question {
        user: user.id,
        perm,
        org,
    }
}

// ---------------------------------------------------------------------------
// Manual percentiles
// ---------------------------------------------------------------------------

struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    p999: f64,
    mean: f64,
}

fn percentiles(mut samples: Vec<f64>) -> Percentiles {
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    Percentiles {
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        p999: at(0.999),
        mean: samples.iter().sum::<f64>() / samples.len() as f64,
    }
}

/// Median cost of an empty `Instant::now()` / `elapsed()` pair, in ns.
fn timer_overhead_ns() -> f64 {
    let samples: Vec<f64> = (0..200_000)
        .map(|_| {
            let t = Instant::now();
            black_box(());
            t.elapsed().as_nanos() as f64
        })
        .collect();
    percentiles(samples).p50
}

/// Times `f` once per question, one `Instant` pair per call; returns raw ns.
fn time_each<T>(items: &[T], rounds: usize, mut f: impl FnMut(&T) -> bool) -> Vec<f64> {
    // Warm up: one pass untimed.
    for it in items {
        black_box(f(it));
    }
    let mut out = Vec::with_capacity(items.len() * rounds);
    for _ in 0..rounds {
        for it in items {
            let t = Instant::now();
            black_box(f(black_box(it)));
            out.push(t.elapsed().as_nanos() as f64);
        }
    }
    out
}

/// Times batches of `batch` consecutive calls; returns the mean ns per call of
/// each batch (no per-call timer overhead, but a batch mean smooths the tail).
fn time_batches<T>(items: &[T], batch: usize, mut f: impl FnMut(&T) -> bool) -> Vec<f64> {
    for it in items {
        black_box(f(it));
    }
    items
        .chunks_exact(batch)
        .map(|chunk| {
            let t = Instant::now();
            for it in chunk {
                black_box(f(black_box(it)));
            }
            t.elapsed().as_nanos() as f64 / batch as f64
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The benchmarks
// ---------------------------------------------------------------------------

const QUESTIONS: usize = 1 << 20;
const CEDAR_QUESTIONS: usize = 4096;

fn data_sets() -> Vec<DataSet> {
    vec![
        generate("1k", 1_000, 2_000, 0x1000),
        generate("10k", 10_000, 10_000, 0x10_000),
        generate("100k", 100_000, 20_000, 0x100_000),
    ]
}

fn describe(ds: &DataSet, snap: &Snapshot) {
    let s = &ds.stats;
    let mut per_depth = BTreeMap::new();
    for d in &ds.depth {
        *per_depth.entry(*d).or_insert(0usize) += 1;
    }
    println!(
        "[data {}] orgs {} (in tree {}), depth ≤ {} {:?}, private {}, archived {}; users {} ({} inactive); grants {} ({:.2}/user, max {}/user, this-org-only {}, future expiry {}, expired {})",
        ds.label,
        ds.orgs.len(),
        snap.tree().len(),
        s.max_depth,
        per_depth,
        s.private,
        s.archived,
        ds.users.len(),
        ds.users.iter().filter(|u| !u.active).count(),
        ds.grants.len(),
        ds.grants.len() as f64 / ds.users.len() as f64,
        s.max_grants_per_user,
        s.only_here,
        s.future_expiry,
        s.expired,
    );
}

fn print_percentiles(what: &str, p: &Percentiles, note: &str) {
    println!(
        "[{what}] p50 {:.1} ns, p90 {:.1} ns, p99 {:.1} ns, p99.9 {:.1} ns, mean {:.1} ns{note}",
        p.p50, p.p90, p.p99, p.p999, p.mean
    );
}

fn resolver(c: &mut Criterion) {
    let now = now();
    let sets = data_sets();
    print_load("start");
    let overhead = timer_overhead_ns();
    println!("[timer] empty Instant pair: median {overhead:.1} ns (subtracted below where noted)");

    // Per-check latency: criterion means, then manual percentiles.
    let mut snaps = Vec::new();
    for ds in &sets {
        let snap = Snapshot::build(1, &ds.orgs, &ds.users, &ds.grants, now);
        describe(ds, &snap);
        let qs = questions(ds, QUESTIONS, 0xC0FFEE);
        let hits = qs
            .iter()
            .filter(|q| snap.check(UserId(q.user), q.perm, OrgId(q.org)))
            .count();
        println!(
            "[questions {}] {} questions, {:.1}% allowed",
            ds.label,
            qs.len(),
            100.0 * hits as f64 / qs.len() as f64
        );
        let single = time_each(&qs, 1, |q| snap.check(UserId(q.user), q.perm, OrgId(q.org)));
        let raw = percentiles(single.clone());
        print_percentiles(&format!("check {} single, raw", ds.label), &raw, "");
        let corrected = percentiles(single.iter().map(|t| (t - overhead).max(0.0)).collect());
        print_percentiles(
            &format!("check {} single, minus timer", ds.label),
            &corrected,
            "",
        );
        let batches = percentiles(time_batches(&qs, 1000, |q| {
            snap.check(UserId(q.user), q.perm, OrgId(q.org))
        }));
        print_percentiles(
            &format!("check {} batch-of-1000 means", ds.label),
            &batches,
            "",
        );
        snaps.push((snap, qs));
    }

    // Where the time goes at 100k: the two lookups `check` starts with, timed
    // alone through public calls, and `check` on list-page shaped questions.
    {
        let (snap, qs) = &snaps[2];
        let org_only = percentiles(
            time_each(qs, 1, |q| snap.tree().contains(q.org))
                .into_iter()
                .map(|t| (t - overhead).max(0.0))
                .collect(),
        );
        print_percentiles(
            "diagnosis 100k org lookup (tree().contains) single, minus timer",
            &org_only,
            "",
        );
        let user_only = percentiles(
            time_each(qs, 1, |q| snap.has_any_grant(q.user))
                .into_iter()
                .map(|t| (t - overhead).max(0.0))
                .collect(),
        );
        print_percentiles(
            "diagnosis 100k user lookup (has_any_grant) single, minus timer",
            &user_only,
            "",
        );
        let org_batch = percentiles(time_batches(qs, 1000, |q| snap.tree().contains(q.org)));
        print_percentiles(
            "diagnosis 100k org lookup batch-of-1000 means",
            &org_batch,
            "",
        );
        let user_batch = percentiles(time_batches(qs, 1000, |q| snap.has_any_grant(q.user)));
        print_percentiles(
            "diagnosis 100k user lookup batch-of-1000 means",
            &user_batch,
            "",
        );
        let lq = list_questions(&sets[2], QUESTIONS, 50, 0x1157);
        let list_single = percentiles(
            time_each(&lq, 1, |q| snap.check(UserId(q.user), q.perm, OrgId(q.org)))
                .into_iter()
                .map(|t| (t - overhead).max(0.0))
                .collect(),
        );
        print_percentiles(
            "diagnosis 100k check, list pages of 50 (same user+perm) single, minus timer",
            &list_single,
            "",
        );
        let list_batch = percentiles(time_batches(&lq, 1000, |q| {
            snap.check(UserId(q.user), q.perm, OrgId(q.org))
        }));
        print_percentiles(
            "diagnosis 100k check, list pages of 50, batch-of-1000 means",
            &list_batch,
            "",
        );
    }

    let mut group = c.benchmark_group("check");
    for (ds, (snap, qs)) in sets.iter().zip(&snaps) {
        let mask = qs.len() - 1;
        group.bench_function(BenchmarkId::from_parameter(ds.label), |b| {
            let mut i = 0usize;
            b.iter(|| {
                let q = &qs[i & mask];
                i = i.wrapping_add(1);
                snap.check(
                    UserId(black_box(q.user)),
                    black_box(q.perm),
                    OrgId(black_box(q.org)),
                )
            })
        });
    }
    group.finish();

    // Rebuild from rows (includes dropping the result, as a real swap does).
    let mut group = c.benchmark_group("rebuild");
    for ds in &sets {
        group.bench_function(BenchmarkId::from_parameter(ds.label), |b| {
            b.iter(|| Snapshot::build(2, &ds.orgs, &ds.users, &ds.grants, now))
        });
    }
    group.finish();

    // One user's grant change at 100k orgs: patch instead of rebuild.
    let big = &sets[2];
    let (big_snap, big_qs) = &snaps[2];
    let u = (0..big.users.len())
        .find(|&u| big.users[u].active && big.grants_of[u].len() == 6)
        .expect("a user with 6 grants");
    let user = big.users[u].clone();
    let mut new_grants: Vec<GrantRow> = big.grants_of[u]
        .iter()
        .map(|&g| big.grants[g as usize].clone())
        .collect();
    new_grants.push(GrantRow {
        id: big.grants.len() as i64 + 1,
        user_id: user.id,
        org_id: 2,
        role_id: 5,
        permissions: BuiltinRole::Approver.permissions(),
        descendants: true,
        expires_at: None,
        group_id: None,
    });
    let change = [(user, new_grants)];
    let patched = big_snap.patched(2, &change, &[], now);
    assert!(patched.check(UserId(change[0].0.id), Permission::TimeApprove, OrgId(2)));
    let mut group = c.benchmark_group("patch");
    group.bench_function("100k/one user's grants", |b| {
        b.iter(|| big_snap.patched(2, black_box(&change), &[], now))
    });
    // The same with the previous snapshot's drop taken out, for comparison.
    group.bench_function("100k/one user's grants, drop excluded", |b| {
        b.iter_with_large_drop(|| big_snap.patched(2, black_box(&change), &[], now))
    });
    group.finish();

    // Cedar at 100k orgs, same questions (the first CEDAR_QUESTIONS of them).
    let cqs = cedar_questions(big, &big_qs[..CEDAR_QUESTIONS]);
    let one = PolicySet::from_str(ONE_POLICY).expect("policy parses");
    // One policy set per questioned user, looked up by position in the loop.
    let mut set_of_user: HashMap<usize, usize> = HashMap::new();
    let mut per_user: Vec<PolicySet> = Vec::new();
    let mut policy_counts = Vec::new();
    let set_index: Vec<usize> = cqs
        .iter()
        .map(|cq| {
            *set_of_user.entry(cq.user_pos).or_insert_with(|| {
                let (set, n) = grant_policies(big, cq.user_pos);
                policy_counts.push(n);
                per_user.push(set);
                per_user.len() - 1
            })
        })
        .collect();
    policy_counts.sort_unstable();
    println!(
        "[cedar] {} questions, {} users; N policies per user: min {}, median {}, max {}, mean {:.2}",
        cqs.len(),
        per_user.len(),
        policy_counts[0],
        policy_counts[policy_counts.len() / 2],
        policy_counts[policy_counts.len() - 1],
        policy_counts.iter().sum::<usize>() as f64 / policy_counts.len() as f64
    );
    let authorizer = Authorizer::new();
    let allow_one = |cq: &CedarQuestion| {
        authorizer
            .is_authorized(&cq.request, &one, &cq.entities_one)
            .decision()
            == CedarDecision::Allow
    };
    let allow_n = |cq: &CedarQuestion| {
        authorizer
            .is_authorized(&cq.request, &per_user[set_index[cq.index]], &cq.entities_n)
            .decision()
            == CedarDecision::Allow
    };
    // Agreement with the snapshot; the differences should be only what the
    // Cedar models leave out (privacy borders, archived orgs, home membership,
    // inactive users).
    let mut differ: BTreeMap<String, usize> = BTreeMap::new();
    let mut one_vs_n = 0;
    for cq in &cqs {
        let (a, b) = (allow_one(cq), allow_n(cq));
        one_vs_n += usize::from(a != b);
        if a != big_snap.check(UserId(cq.q.user), cq.q.perm, OrgId(cq.q.org)) {
            let why = match big_snap
                .explain(UserId(cq.q.user), cq.q.perm, OrgId(cq.q.org))
                .reason
            {
                Reason::BlockedByPrivacy { .. } => "privacy border",
                Reason::OrgArchived { .. } => "archived",
                Reason::HomeMembership => "home membership",
                Reason::UserDeactivated => "inactive user",
                _ => "UNEXPLAINED",
            };
            *differ.entry(why.to_string()).or_default() += 1;
        }
    }
    println!(
        "[cedar] one-policy vs N-policy disagreements: {one_vs_n}; cedar vs snapshot differences by cause: {differ:?}"
    );
    let snap_cedar_qs: Vec<Question> = cqs.iter().map(|cq| cq.q).collect();
    let snap_same = percentiles(
        time_each(&snap_cedar_qs, 50, |q| {
            big_snap.check(UserId(q.user), q.perm, OrgId(q.org))
        })
        .into_iter()
        .map(|t| (t - overhead).max(0.0))
        .collect(),
    );
    print_percentiles(
        "check 100k on the cedar questions, minus timer",
        &snap_same,
        "",
    );
    let cedar_one = percentiles(time_each(&cqs, 10, allow_one));
    print_percentiles("cedar 100k one policy single, raw", &cedar_one, "");
    let cedar_n = percentiles(time_each(&cqs, 3, allow_n));
    print_percentiles("cedar 100k N policies single, raw", &cedar_n, "");
    println!(
        "[ratio] mean: cedar one policy / snapshot = {:.1}x, cedar N policies / snapshot = {:.1}x; p50: {:.1}x and {:.1}x",
        cedar_one.mean / snap_same.mean,
        cedar_n.mean / snap_same.mean,
        cedar_one.p50 / snap_same.p50,
        cedar_n.p50 / snap_same.p50,
    );

    let mut group = c.benchmark_group("cedar");
    let n = cqs.len();
    group.bench_function("100k/check, snapshot (same questions)", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let q = &cqs[i % n].q;
            i = i.wrapping_add(1);
            big_snap.check(
                UserId(black_box(q.user)),
                black_box(q.perm),
                OrgId(black_box(q.org)),
            )
        })
    });
    group.bench_function("100k/one policy", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let cq = &cqs[i % n];
            i = i.wrapping_add(1);
            authorizer.is_authorized(&cq.request, &one, &cq.entities_one)
        })
    });
    group.bench_function("100k/N policies (one per grant)", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let cq = &cqs[i % n];
            i = i.wrapping_add(1);
            authorizer.is_authorized(&cq.request, &per_user[set_index[cq.index]], &cq.entities_n)
        })
    });
    group.finish();
    print_load("end");
}

/// The load average, so a run disturbed by other work on the machine shows it.
fn print_load(when: &str) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("[load {when}] /proc/loadavg: {}", load.trim());
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = resolver
}
criterion_main!(benches);
