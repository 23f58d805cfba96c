//! Tests of the OpenID Connect client: issuers, addresses, the flow state.

use super::check_issuer;

#[test]
fn issuers_are_https_and_plain_http_only_on_loopback_where_allowed() {
    assert_eq!(check_issuer("https://id.bund.de/", false).as_deref(), Ok("https://id.bund.de"));
    assert_eq!(
        check_issuer("https://id.bund.de/realms/portal", false).as_deref(),
        Ok("https://id.bund.de/realms/portal")
    );
    for bad in [
        "http://localhost.evil.example",
        "http://127.0.0.1.evil.example:4011",
        "http://localhost@evil.example",
        "http://id.bund.de",
        "ftp://x",
        "https://",
        "https://a b",
        "https://id\t.de",
        "https://u:p@id.bund.de",
        "https://id.bund.de?x=1",
        "https://id.bund.de#x",
    ] {
        assert!(check_issuer(bad, true).is_err(), "{bad}");
    }
    assert_eq!(check_issuer("http://127.0.0.1:4011", true).as_deref(), Ok("http://127.0.0.1:4011"));
    assert_eq!(check_issuer("http://localhost:4011/x", true).as_deref(), Ok("http://localhost:4011/x"));
    assert_eq!(check_issuer("http://127.0.0.1:4011", false), Err("identity.issuer_https"), "not outside test set-ups");
    // outside test set-ups, an address must be public
    for internal in [
        "https://127.0.0.1",
        "https://10.1.2.3/realm",
        "https://192.168.0.10",
        "https://169.254.169.254",
        "https://[::1]",
        "https://[fd00::1]",
        "https://[::ffff:10.0.0.1]",
        "https://100.64.0.1",
    ] {
        assert_eq!(check_issuer(internal, false), Err("identity.issuer_invalid"), "{internal}");
    }
    assert!(check_issuer("https://194.95.0.1", false).is_ok());
}

#[tokio::test]
async fn outside_test_set_ups_provider_names_resolve_to_public_addresses_only() {
    use openidconnect::reqwest::dns::Resolve;
    let name = |s: &str| s.parse::<openidconnect::reqwest::dns::Name>();
    let Ok(localhost) = name("localhost") else { return };
    assert!(super::PublicOnly::system().resolve(localhost).await.is_err(), "localhost is refused");
    assert!(!super::is_public("172.20.0.5".parse().unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]))));
    assert!(super::is_public("2a00:1450:4001::1".parse().unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]))));
}

#[test]
fn the_flow_cookie_is_sealed_for_its_tenant_and_shows_nothing_of_the_flow() {
    let key = crate::sealed::SecretsKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").expect("key");
    let oidc = super::Oidc::new(key, true);
    let flow = super::FlowState {
        provider: "bundid".into(),
        state: "state-123".into(),
        nonce: "nonce-456".into(),
        pkce_verifier: "verifier-789-abcdefghijklmnopqrstuvwxyz".into(),
    };
    let (tenant, other) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
    let cookie = oidc.seal_flow(tenant, &flow);
    // the cookie is opaque: neither plain nor base64 of the JSON shows the verifier or the nonce
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&cookie).expect("base64url");
    let shown = String::from_utf8_lossy(&decoded);
    assert!(!cookie.contains("verifier") && !shown.contains("verifier-789") && !shown.contains("nonce-456"), "{shown}");
    let opened = oidc.open_flow(tenant, &cookie).expect("opens for its tenant");
    assert_eq!(
        (opened.provider, opened.state, opened.nonce, opened.pkce_verifier),
        (flow.provider.clone(), flow.state.clone(), flow.nonce.clone(), flow.pkce_verifier.clone())
    );
    assert!(oidc.open_flow(other, &cookie).is_none(), "another tenant's portal cannot use it");
    let mut altered = decoded.clone();
    if let Some(b) = altered.last_mut() {
        *b ^= 1;
    }
    assert!(
        oidc.open_flow(tenant, &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&altered)).is_none(),
        "an altered cookie does not open"
    );
    let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&flow).expect("json"));
    assert!(oidc.open_flow(tenant, &plain).is_none(), "the old plain cookie is not accepted");
    // the server, not only the browser, ends a login that took longer than ten minutes
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(oidc.open_flow_at(tenant, &cookie, now + super::FLOW_TTL_SECS - 5).is_some());
    assert!(oidc.open_flow_at(tenant, &cookie, now + super::FLOW_TTL_SECS + 5).is_none(), "expired");
}

#[test]
fn ipv6_forms_that_reach_an_internal_ipv4_address_are_not_public() {
    let public = |s: &str| super::is_public(s.parse().unwrap_or_else(|e| panic!("{s}: {e}")));
    for internal in [
        "64:ff9b::7f00:1",    // NAT64 of 127.0.0.1
        "64:ff9b::a00:5",     // NAT64 of 10.0.0.5
        "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254 (cloud metadata)
        "::7f00:1",           // IPv4-compatible 127.0.0.1
        "::a00:5",            // IPv4-compatible 10.0.0.5
        "::",
        "::1",
        "::ffff:192.168.1.1",
        "2002:a00:5::1",                        // 6to4 of 10.0.0.5
        "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
        "64:ff9b:1::a00:5",                     // local-use NAT64
        "fec0::1",
        "100::1",
    ] {
        assert!(!public(internal), "{internal} is internal");
    }
    for outside in ["64:ff9b::808:808", "::808:808", "2002:808:808::1", "2a00:1450:4001::1"] {
        assert!(public(outside), "{outside} reaches a public address");
    }
}
