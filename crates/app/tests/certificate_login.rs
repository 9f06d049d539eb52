//! 个人令牌, 绑定CA and 证书登录 through the app's public functions, on SQLite and
//! PostgreSQL. Challenges are signed by openssl with the key the certificate was issued
//! for, as a USB-key would sign them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use app::accounts::{self, LoginOutcome, NewTokenInput, SignatureInput};
use app::applications;
use app::authz::Action;
use app::{Actor, Error};
use base64::Engine as _;
use support::{World, openssl, produced};

fn refused(e: Error) -> &'static str {
    match e {
        Error::Refused(k) => k,
        Error::Invalid(f) => f.iter().next().map(|e| e.key).unwrap_or("invalid"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// What the tool sends: the certificate (PEM) and openssl's signature of the challenge
/// message with `key`.
async fn answer(
    w: &World,
    admin: &Actor,
    dir: &Path,
    code: &str,
    serial: &str,
    key: &str,
) -> SignatureInput {
    let info = accounts::challenge(&w.app, code).await.unwrap();
    assert_eq!(
        info.message,
        domain::account::challenge_message(&info.purpose, &info.code, &info.nonce)
    );
    std::fs::write(dir.join("message.txt"), &info.message).unwrap();
    openssl(
        dir,
        &[
            "dgst",
            "-sha256",
            "-sign",
            key,
            "-out",
            "message.sig",
            "message.txt",
        ],
    );
    let signature = std::fs::read(dir.join("message.sig")).unwrap();
    let cert = app::ca::certificate(&w.app, admin, serial).await.unwrap();
    SignatureInput {
        certificate: base64::engine::general_purpose::STANDARD.encode(&cert.der),
        signature: base64::engine::general_purpose::STANDARD.encode(signature),
    }
}

#[tokio::test]
async fn tokens_are_scoped_shown_once_and_stop_when_revoked_or_expired() {
    let w = World::new().await;
    let org = w.org(1).await;

    let e = accounts::create_token(
        &w.app,
        &org,
        &NewTokenInput {
            name: " ".into(),
            scopes: vec![],
            days: "400".into(),
        },
    )
    .await
    .unwrap_err();
    let Error::Invalid(fields) = e else {
        panic!("{e:?}")
    };
    assert_eq!(fields.get("name"), Some("api_token.name_required"));
    assert_eq!(fields.get("scopes"), Some("api_token.scope_required"));
    assert_eq!(fields.get("days"), Some("api_token.days_invalid"));
    let e = accounts::create_token(
        &w.app,
        &org,
        &NewTokenInput {
            name: "办理点".into(),
            scopes: vec!["everything".into()],
            days: String::new(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(refused(e), "api_token.scope_unknown");

    let made = accounts::create_token(
        &w.app,
        &org,
        &NewTokenInput {
            name: "办理点 2 号机".into(),
            scopes: vec!["production".into(), "certificates".into()],
            days: "30".into(),
        },
    )
    .await
    .unwrap();
    assert!(made.token.starts_with(accounts::TOKEN_PREFIX));
    assert!(accounts::is_api_token(&made.token));
    assert!(!format!("{made:?}").contains(&made.token), "Debug hides it");
    let listed = accounts::list_tokens(&w.app, &org).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].live);
    assert!(made.token.starts_with(&listed[0].hint));

    let session = accounts::authenticate_token(&w.app, &made.token)
        .await
        .unwrap()
        .expect("a live token signs in");
    let tool: Actor = session.actor;
    assert_eq!(tool.id, org.id);
    // Within its scopes: the person's certificates; outside them: their orders' forms, tokens.
    assert!(
        app::certificates::list(&w.app, &tool, &Default::default())
            .await
            .is_ok()
    );
    let e = applications::start(
        &w.app,
        &tool,
        &support::start("new", "org_master", "online"),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");
    let e = accounts::list_tokens(&w.app, &tool).await.unwrap_err();
    assert!(
        matches!(e, Error::Forbidden),
        "a token makes no tokens: {e:?}"
    );
    assert!(app::authz::authorize(&tool, Action::ManageApiTokens).is_err());

    // Expired: after its 30 days it no longer signs in.
    w.clock
        .advance(jiff::SignedDuration::from_hours(24 * 30 + 1));
    assert!(
        accounts::authenticate_token(&w.app, &made.token)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!accounts::list_tokens(&w.app, &org).await.unwrap()[0].live);

    let second = accounts::create_token(
        &w.app,
        &org,
        &NewTokenInput {
            name: "笔记本".into(),
            scopes: vec!["binding".into()],
            days: String::new(),
        },
    )
    .await
    .unwrap();
    assert!(
        accounts::authenticate_token(&w.app, &second.token)
            .await
            .unwrap()
            .is_some()
    );
    let other = w.org(2).await;
    assert!(matches!(
        accounts::revoke_token(&w.app, &other, second.view.id).await,
        Err(Error::NotFound)
    ));
    accounts::revoke_token(&w.app, &org, second.view.id)
        .await
        .unwrap();
    assert!(
        accounts::authenticate_token(&w.app, &second.token)
            .await
            .unwrap()
            .is_none(),
        "revoked: stops at once"
    );
}

#[tokio::test]
async fn a_bound_certificate_signs_in_until_it_is_revoked() {
    let w = World::new().await.with_ca().await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let org = w.org(3).await;
    let (_, serial) = produced(&w, &org, 3, dir).await;
    let key = "base3.key";
    let admin = w.staff(901, "admin").await;

    // Not bound yet: the signature is good, but no account opens.
    let login = accounts::start_login(&w.app).await.unwrap();
    assert!(matches!(
        accounts::finish_login(&w.app, &login.secret).await.unwrap(),
        LoginOutcome::Waiting { .. }
    ));
    let a = answer(&w, &admin, dir, &login.code, &serial, key).await;
    let e = accounts::sign_challenge(&w.app, &login.code, &a)
        .await
        .unwrap_err();
    assert_eq!(refused(e), "certlogin.not_bound");

    // 绑定CA by another organisation: the key signs, but the certificate is not theirs.
    let stranger = w.org(4).await;
    let c = accounts::start_binding(&w.app, &stranger).await.unwrap();
    let a = answer(&w, &admin, dir, &c.code, &serial, key).await;
    let e = accounts::sign_challenge(&w.app, &c.code, &a)
        .await
        .unwrap_err();
    assert_eq!(refused(e), "certlogin.not_yours");

    // A signature by another key over the right message.
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "other.key",
        ],
    );
    let c = accounts::start_binding(&w.app, &org).await.unwrap();
    let forged = answer(&w, &admin, dir, &c.code, &serial, "other.key").await;
    let e = accounts::sign_challenge(&w.app, &c.code, &forged)
        .await
        .unwrap_err();
    assert_eq!(refused(e), "certlogin.signature_bad");
    let garbage = SignatureInput {
        certificate: "MIIB".into(),
        signature: forged.signature.clone(),
    };
    let e = accounts::sign_challenge(&w.app, &c.code, &garbage)
        .await
        .unwrap_err();
    assert_eq!(refused(e), "certlogin.certificate_malformed");

    // The holder binds it; a second answer to the same code is refused.
    let good = answer(&w, &admin, dir, &c.code, &serial, key).await;
    let signed = accounts::sign_challenge(&w.app, &c.code, &good)
        .await
        .unwrap();
    assert_eq!(signed.serial, serial);
    let e = accounts::sign_challenge(&w.app, &c.code, &good)
        .await
        .unwrap_err();
    assert_eq!(refused(e), "certlogin.code_answered");
    let bound = accounts::bindings(&w.app, &org).await.unwrap();
    assert_eq!(bound.len(), 1);
    assert_eq!(bound[0].serial, serial);
    assert_eq!(bound[0].standing, "valid");

    // 证书登录: waiting until signed, then one session for the bound account, once.
    let login = accounts::start_login(&w.app).await.unwrap();
    let a = answer(
        &w,
        &admin,
        dir,
        &login.code.to_lowercase().replace('-', " "),
        &serial,
        key,
    )
    .await;
    accounts::sign_challenge(&w.app, &login.code, &a)
        .await
        .unwrap();
    let LoginOutcome::SignedIn(session) =
        accounts::finish_login(&w.app, &login.secret).await.unwrap()
    else {
        panic!("signed: a session opens")
    };
    let s = accounts::authenticate(&w.app, &session.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.actor.id, org.id);
    let e = accounts::finish_login(&w.app, &login.secret)
        .await
        .err()
        .expect("used once");
    assert_eq!(refused(e), "certlogin.code_answered");

    // An expired code.
    let late = accounts::start_login(&w.app).await.unwrap();
    w.clock
        .advance(accounts::CHALLENGE_TTL + jiff::SignedDuration::from_secs(1));
    let e = accounts::challenge(&w.app, &late.code).await.unwrap_err();
    assert_eq!(refused(e), "certlogin.code_expired");
    // A day later housekeeping removes it, and its code is unknown.
    w.clock.advance(jiff::SignedDuration::from_hours(24));
    let purged = app::housekeeping::purge_expired(&w.app).await.unwrap();
    assert!(purged.challenges >= 4, "{purged:?}");
    let e = accounts::challenge(&w.app, &late.code).await.unwrap_err();
    assert_eq!(refused(e), "certlogin.code_unknown");

    // Signed, then revoked before the browser completes: no session.
    let login = accounts::start_login(&w.app).await.unwrap();
    let a = answer(&w, &admin, dir, &login.code, &serial, key).await;
    accounts::sign_challenge(&w.app, &login.code, &a)
        .await
        .unwrap();
    app::ca::revoke::revoke(
        &w.app,
        &admin,
        &serial,
        pki::RevocationReason::KeyCompromise,
    )
    .await
    .unwrap();
    let e = accounts::finish_login(&w.app, &login.secret)
        .await
        .err()
        .expect("revoked meanwhile");
    assert_eq!(refused(e), "certlogin.certificate_revoked");
    // And a new login with it is refused at the signature.
    let login = accounts::start_login(&w.app).await.unwrap();
    let a = answer(&w, &admin, dir, &login.code, &serial, key).await;
    let e = accounts::sign_challenge(&w.app, &login.code, &a)
        .await
        .unwrap_err();
    assert_eq!(refused(e), "certlogin.certificate_revoked");
    assert_eq!(
        accounts::bindings(&w.app, &org).await.unwrap()[0].standing,
        "revoked"
    );

    // 解除绑定.
    accounts::unbind(&w.app, &org, bound[0].id).await.unwrap();
    assert!(accounts::bindings(&w.app, &org).await.unwrap().is_empty());
    assert!(matches!(
        accounts::unbind(&w.app, &org, bound[0].id).await,
        Err(Error::NotFound)
    ));
}
