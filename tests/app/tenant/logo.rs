//! An org's logo: uploaded by its admins, checked by content, inherited,
//! served at an address that changes with it, removed.

use super::*;
use canopy::domain::logo;

async fn own_logo(w: &Tree, org: i64) -> Option<String> {
    w.db.read(move |c| logo::own(c, org)).await.unwrap()
}

#[tokio::test]
async fn an_admin_uploads_a_logo_the_subtree_wears_it_and_a_new_logo_is_a_new_address() {
    let w = Tree::new().await;
    w.org_admin("olga@acme.example", w.acme).await;
    w.person("eve@acme.example", w.east).await;
    w.person("gus@globex.example", w.globex).await;
    let olga = w.signed_in_browser("olga@acme.example").await;

    let answer = olga.upload_logo(w.acme, "acme.png", "image/png", PNG).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), format!("/orgs/{}/settings", w.acme));
    let hash = own_logo(&w, w.acme).await.expect("stored");

    // Olga works in Acme; Eve lives in East, below it: both wear it.
    let (_, html) = olga.get_page("/").await;
    let src = shell_logo(&html).expect("the shell shows the logo");
    assert_eq!(src, format!("/brand/logo/{}-{hash}", w.acme));
    assert!(html.contains("alt=\"Acme logo\""), "alt text");
    let eve = w.signed_in_browser("eve@acme.example").await;
    let eves = shell_logo(&eve.get_page("/").await.1).expect("inherited below");
    assert_eq!(eves, format!("/brand/logo/{}-{hash}", w.east));
    let image = eve.get(&eves).await;
    assert_eq!(image.status(), StatusCode::OK);
    let headers = image.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(image.bytes().await.unwrap().as_ref(), PNG);

    // Globex wears none, and cannot read Acme's by its address.
    let gus = w.signed_in_browser("gus@globex.example").await;
    assert_eq!(shell_logo(&gus.get_page("/").await.1), None);
    assert_eq!(gus.get(&src).await.status(), StatusCode::NOT_FOUND);
    let anonymous = w.new_browser().get(&src).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);

    // A new logo is a new address; the old one is gone.
    let second = [PNG, b"more"].concat();
    olga.upload_logo(w.acme, "b.png", "image/png", &second)
        .await;
    let newer = shell_logo(&olga.get_page("/").await.1).unwrap();
    assert_ne!(newer, src);
    assert_eq!(olga.get(&src).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        olga.get(&newer).await.bytes().await.unwrap().as_ref(),
        &second[..]
    );

    // East's own logo wins below it; removing it inherits Acme's again.
    olga.upload_logo(w.east, "east.png", "image/png", &[PNG, b"east"].concat())
        .await;
    let east_hash = own_logo(&w, w.east).await.unwrap();
    assert!(
        shell_logo(&eve.get_page("/").await.1)
            .unwrap()
            .ends_with(&east_hash)
    );
    let (status, html) = olga.get_page(&format!("/orgs/{}/settings", w.east)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"remove-logo\""));
    let removed = olga
        .submit_form(&format!("/orgs/{}/logo/remove", w.east), &[])
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert_eq!(own_logo(&w, w.east).await, None);
    assert!(
        !shell_logo(&eve.get_page("/").await.1)
            .unwrap()
            .ends_with(&east_hash)
    );
    assert_eq!(w.audit("org.logo_set").await.len(), 3);
    assert_eq!(w.audit("org.logo_removed").await.len(), 1);
}

#[tokio::test]
async fn a_bad_logo_is_refused_next_to_the_field_and_nothing_is_stored() {
    let w = Tree::new().await;
    w.org_admin("olga@acme.example", w.acme).await;
    let olga = w.signed_in_browser("olga@acme.example").await;
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
    let big = [PNG, &vec![0u8; logo::MAX_BYTES]].concat();
    for (name, mime, bytes, says) in [
        ("evil.svg", "image/svg+xml", svg.clone(), "SVG"),
        ("evil.png", "image/png", svg, "SVG"),
        (
            "notes.png",
            "image/png",
            b"just some text".to_vec(),
            "not a PNG",
        ),
        ("big.png", "image/png", big, "at most 256 KB"),
        ("empty.png", "image/png", Vec::new(), "Choose an image"),
    ] {
        let answer = olga.upload_logo(w.acme, name, mime, &bytes).await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let html = answer.text().await.unwrap();
        assert!(
            html.contains("id=\"logo-error\""),
            "{name}: message by the field"
        );
        assert!(html.contains(says), "{name}: {says}");
    }
    assert_eq!(own_logo(&w, w.acme).await, None);
    assert!(w.audit("org.logo_set").await.is_empty());
}

#[tokio::test]
async fn only_the_orgs_admins_change_its_logo_and_another_tenants_org_answers_as_missing() {
    let w = Tree::new().await;
    w.org_admin("olga@acme.example", w.acme).await;
    w.person("eve@acme.example", w.acme).await;
    let olga = w.signed_in_browser("olga@acme.example").await;
    let eve = w.signed_in_browser("eve@acme.example").await;

    let refused = eve.upload_logo(w.acme, "a.png", "image/png", PNG).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let outside = olga.upload_logo(w.globex, "a.png", "image/png", PNG).await;
    let missing = olga.upload_logo(999_999, "a.png", "image/png", PNG).await;
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(outside.text().await.unwrap(), missing.text().await.unwrap());
    let remove = olga
        .submit_form(&format!("/orgs/{}/logo/remove", w.globex), &[])
        .await;
    assert_eq!(remove.status(), StatusCode::NOT_FOUND);
    assert_eq!(own_logo(&w, w.acme).await, None);
    assert_eq!(own_logo(&w, w.globex).await, None);
    // The settings tab offers the upload only to those who may use it.
    let (_, html) = olga.get_page(&format!("/orgs/{}/settings", w.acme)).await;
    assert!(html.contains("enctype=\"multipart/form-data\""));
}
