//! The benchmark, small, on the test backend: it seeds, signs people in, its answers
//! match the seeded data, and every operation ran. No timing is asserted.

use store::testing::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmark_seeds_checks_and_runs_every_operation() {
    let db = TestDb::new().await;
    let options = bench::Options {
        orders: 2_000,
        users: 2,
        seconds: 1.0,
        seed: 7,
        reuse: None,
        think: std::time::Duration::ZERO,
    };
    let report = bench::run(db.url(), &options).await.unwrap();

    let s = &report.seeded;
    assert_eq!(s.applications, 2_000);
    let sizes = bench::plan::Sizes::for_orders(2_000);
    assert_eq!(s.organisations, sizes.orgs as u64);
    assert_eq!(s.individuals, sizes.individuals as u64);
    assert_eq!(
        s.users,
        s.memberships + s.individuals + sizes.reviewers as u64,
        "every applicant is a member or an individual, plus the reviewers"
    );
    assert!(report.queued > 0, "some orders wait for review");
    assert_eq!((report.applicants, report.reviewers), (1, 1));

    // What the database holds, counted independently of the bench.
    let store = store::Store::connect(db.url()).await.unwrap();
    let mut conn = store.conn().await.unwrap();
    let count = |sql: &'static str| sqlx::query_as::<_, (i64,)>(sql);
    let (apps,) = count("SELECT COUNT(*) FROM applications")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(apps, 2_000);
    let (waiting,) = count(
        "SELECT COUNT(*) FROM applications \
         WHERE status IN ('awaiting_first_review', 'awaiting_final_review')",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(waiting as usize, report.queued);
    let (orgs,) = count("SELECT COUNT(DISTINCT organisation_id) FROM applications")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(orgs >= 2, "orders spread over organisations");

    // Exact answers (every page, filter and search) were compared before the run.
    assert!(report.verified >= 15, "{} answers checked", report.verified);
    for op in bench::load::OPERATIONS {
        let f = report.figures_of(op).unwrap();
        assert!(f.count > 0, "{op} ran");
        assert_eq!(f.mismatches, 0, "{op}: {:?}", report.first_mismatch);
    }
    let text = report.to_string();
    assert!(text.contains("queue.search_uscc"));
    assert!(text.contains("2000 applications"));
}
