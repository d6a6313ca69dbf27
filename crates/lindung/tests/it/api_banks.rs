//! The server over loopback on SQLite and PostgreSQL: the HMA bank and matching flow, the
//! native API, videos, and two processes sharing one PostgreSQL database. Who may call each
//! route is the access matrix's to prove (`access_matrix`).

use std::time::{Duration, Instant};

use lindung::access::audit::Actor;
use lindung::access::{self, Role};
use serde_json::json;

use crate::support::server::Server;
use crate::support::{self, TestStore, ffmpeg_missing, testdata, urlencode};

const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const BRIDGE_NEAR: &str = "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22";
const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// One user and token per role, in two organisations.
async fn tokens(store: &lindung::store::Store) -> Vec<(Role, String)> {
    let actor = Actor::cli("test");
    let mut out = Vec::new();
    for &role in Role::ALL {
        let email = format!("{}@example.org", role.as_str());
        access::add_user(
            store,
            &actor,
            &email,
            role,
            Some("Hotline"),
            "a long enough passphrase",
        )
        .await
        .expect("add user");
        out.push((
            role,
            access::create_token(store, &actor, &email, "test")
                .await
                .expect("token"),
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn hma_bank_flow_matches_on_the_next_request() {
    for t in support::stores("hma_flow").await {
        let tokens = tokens(&t.store).await;
        let platform = &tokens
            .iter()
            .find(|(r, _)| *r == Role::Platform)
            .expect("platform")
            .1;
        let token = Some(platform.as_str());
        let server = Server::start(&t.location);

        let (status, bank) = server.json("POST", "/c/banks", token, &json!({"name": "TEST_BANK"}));
        assert_eq!(status, 201, "{}: {bank}", t.name);
        assert_eq!(bank["matching_enabled_ratio"], 1.0);
        let (status, _) = server.json("POST", "/c/banks", token, &json!({"name": "TEST_BANK"}));
        assert_eq!(status, 409);
        let (status, err) = server.json("POST", "/c/banks", token, &json!({"name": "bad name!"}));
        assert_eq!(status, 400);
        assert_eq!(err["error"]["code"], "bad_request");

        let (status, added) = server.json(
            "POST",
            "/c/bank/TEST_BANK/signal",
            token,
            &json!({"pdq": BRIDGE, "note": "case 1"}),
        );
        assert_eq!(status, 200, "{added}");
        let content_id = added["id"].as_i64().expect("content id");
        // The same signal again adds nothing.
        let (_, again) = server.json(
            "POST",
            "/c/bank/TEST_BANK/signal",
            token,
            &json!({"pdq": BRIDGE}),
        );
        assert_eq!(again["id"].as_i64(), Some(content_id));
        let (status, _) = server.json(
            "POST",
            "/c/bank/TEST_BANK/signal",
            token,
            &json!({"pdq": "abc"}),
        );
        assert_eq!(status, 400);

        let (status, found) = server.get(
            &format!("/m/lookup?signal_type=pdq&signal={BRIDGE_NEAR}"),
            token,
        );
        assert_eq!(status, 200);
        assert_eq!(
            found,
            json!({"TEST_BANK": [{"bank_content_id": content_id, "distance": "2"}]}),
            "{}",
            t.name
        );
        let (_, raw) = server.get(
            &format!("/m/raw_lookup?signal_type=pdq&signal={BRIDGE_NEAR}"),
            token,
        );
        assert_eq!(raw, json!({"matches": [content_id]}));
        let (status, _) = server.get("/m/lookup?signal_type=pdq&signal=zz", token);
        assert_eq!(status, 400);
        let (status, _) = server.get("/m/lookup?signal_type=pdq", token);
        assert_eq!(status, 400);

        // An uploaded photo is hashed (never stored) and matched.
        let jpeg = std::fs::read(testdata("pdq/data/bridge-mods/blur-a-lot.jpg")).expect("jpeg");
        let (status, hashed) = server.upload("/h/hash", token, &jpeg);
        assert_eq!(status, 200);
        assert_eq!(
            hashed["pdq"],
            "f8f8f0cee0f4a84f0637022a038f67f0b36e26d596621e1d33e6b39c4e9c9b22"
        );
        let (status, found) = server.upload("/m/lookup", token, &jpeg);
        assert_eq!(status, 200);
        assert_eq!(found["pdq"]["TEST_BANK"][0]["distance"], "4");
        let (status, err) = server.upload("/m/lookup", token, b"not an image");
        assert_eq!(status, 422, "{err}");
        let (status, added) = server.upload("/c/bank/TEST_BANK/content", token, &jpeg);
        assert_eq!(status, 200);
        assert!(added["signals"]["md5"].is_string());

        // Disabled banks do not match; deleted banks are gone.
        let (status, _) = server.json(
            "PUT",
            "/c/bank/TEST_BANK",
            token,
            &json!({"enabled_ratio": 0.0}),
        );
        assert_eq!(status, 200);
        let (_, found) = server.get(&format!("/m/lookup?signal_type=pdq&signal={BRIDGE}"), token);
        assert_eq!(found, json!({}));
        let (status, _) = server.request("DELETE", "/c/bank/TEST_BANK", token, &[], b"");
        assert_eq!(status, 200);
        let (status, _) = server.get("/c/bank/TEST_BANK", token);
        assert_eq!(status, 404);

        let report = lindung::access::audit::verify(&t.store)
            .await
            .expect("verify");
        assert_eq!(report.first_broken, None);
        assert!(
            report.entries >= 20,
            "bank writes are audited: {}",
            report.entries
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_on_one_postgres_see_each_others_writes_within_a_second() {
    let stores = support::stores("two_processes").await;
    let Some(t) = stores.iter().find(|t| t.name == "postgres") else {
        return; // support::stores has said why on stderr.
    };
    let tokens = tokens(&t.store).await;
    let token = Some(
        tokens
            .iter()
            .find(|(r, _)| *r == Role::Platform)
            .expect("platform")
            .1
            .as_str(),
    );
    let a = Server::start(&t.location);
    let b = Server::start(&t.location);
    let (status, _) = a.json("POST", "/c/banks", token, &json!({"name": "SHARED"}));
    assert_eq!(status, 201);
    let (status, _) = a.json(
        "POST",
        "/c/bank/SHARED/signal",
        token,
        &json!({"pdq": BRIDGE}),
    );
    assert_eq!(status, 200);
    let start = Instant::now();
    loop {
        let (_, found) = b.get(&format!("/m/lookup?signal_type=pdq&signal={BRIDGE}"), token);
        if found.get("SHARED").is_some() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "process B did not see the write within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn native_api_with_pagination_matching_and_openapi() {
    for t in support::stores("native_api").await {
        let tokens = tokens(&t.store).await;
        let analyst = tokens
            .iter()
            .find(|(r, _)| *r == Role::Analyst)
            .expect("analyst")
            .1
            .clone();
        let token = Some(analyst.as_str());
        let server = Server::start(&t.location);
        step_native_content_is_added_once(&t, &server, token);
        step_native_content_pages_and_matches(&server, token);
        step_native_banks_are_disabled_and_deleted(&server, token);
        step_the_openapi_document_lists_the_routes(&server);
    }
}

/// A bank with five PDQ hashes and an MD5 through the native API; the same MD5 again adds
/// nothing, and a weak PDQ hash is refused.
fn step_native_content_is_added_once(t: &TestStore, server: &Server, token: Option<&str>) {
    let (status, bank) = server.json(
        "POST",
        "/api/v1/banks",
        token,
        &json!({"name": "NATIVE", "pdq_threshold": 10}),
    );
    assert_eq!(status, 201, "{}: {bank}", t.name);
    assert_eq!(bank["pdq_threshold"], 10);
    for i in 0..5u32 {
        // Distinct hashes: vary the last hex digits.
        let hash = format!("{}{:04x}", &BRIDGE[..60], i);
        let (status, added) = server.json(
            "POST",
            "/api/v1/banks/NATIVE/content",
            token,
            &json!({"pdq": hash, "note": format!("n{i}"), "tags": ["a", "b"]}),
        );
        assert_eq!(status, 201, "{added}");
        assert_eq!(added["new_signals"], 1);
    }
    let md5 = MD5;
    let (status, _) = server.json(
        "POST",
        "/api/v1/banks/NATIVE/content",
        token,
        &json!({"md5": md5}),
    );
    assert_eq!(status, 201);
    let (status, again) = server.json(
        "POST",
        "/api/v1/banks/NATIVE/content",
        token,
        &json!({"md5": md5.to_uppercase()}),
    );
    assert_eq!(
        (status, again["new_signals"].as_u64()),
        (200, Some(0)),
        "no duplicate"
    );
    let (status, err) = server.json(
        "POST",
        "/api/v1/banks/NATIVE/content",
        token,
        &json!({"pdq": BRIDGE, "pdq_quality": 20}),
    );
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "pdq_quality");
    assert!(
        err["error"]["message"]
            .as_str()
            .expect("message")
            .contains("below 50")
    );
}

/// The bank's content a page at a time, and matching by PDQ at the bank's threshold or a given
/// radius, and by MD5.
fn step_native_content_pages_and_matches(server: &Server, token: Option<&str>) {
    let md5 = MD5;
    let (_, page) = server.get("/api/v1/banks/NATIVE/content?page=2&per_page=4", token);
    assert_eq!(page["total"], 6);
    assert_eq!(page["items"].as_array().expect("items").len(), 2);
    assert_eq!(page["items"][0]["signals"][0]["signal_type"], "pdq");
    // A value out of range is a 422 naming the parameter (docs/api.md).
    let (status, err) = server.get("/api/v1/banks/NATIVE/content?per_page=5000", token);
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "per_page");

    let (_, found) = server.json(
        "POST",
        "/api/v1/match",
        token,
        &json!({"pdq": [BRIDGE_NEAR, BRIDGE], "md5": md5}),
    );
    let matches = found["matches"].as_array().expect("matches");
    assert!(
        matches
            .iter()
            .any(|m| m["signal_type"] == "md5" && m["distance"] == 0),
        "{found}"
    );
    // The 5 stored variants are within the bank's threshold of BRIDGE; each reported once.
    assert_eq!(
        matches.iter().filter(|m| m["signal_type"] == "pdq").count(),
        5,
        "{found}"
    );
    let (_, narrow) = server.json(
        "POST",
        "/api/v1/match",
        token,
        &json!({"pdq": [BRIDGE_NEAR], "radius": 0}),
    );
    assert_eq!(narrow["matches"], json!([]));
    let (status, err) = server.json("POST", "/api/v1/match", token, &json!({"pdq": ["xyz"]}));
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "pdq[0]");
}

/// A disabled bank does not match; a deleted one is gone.
fn step_native_banks_are_disabled_and_deleted(server: &Server, token: Option<&str>) {
    let (status, patched) = server.json(
        "PATCH",
        "/api/v1/banks/NATIVE",
        token,
        &json!({"enabled": false}),
    );
    assert_eq!((status, patched["enabled"].as_bool()), (200, Some(false)));
    let (_, off) = server.json("POST", "/api/v1/match", token, &json!({"pdq": [BRIDGE]}));
    assert_eq!(off["matches"], json!([]), "disabled banks do not match");
    let (_, list) = server.get("/api/v1/banks?per_page=1", token);
    assert_eq!(list["total"], 1);
    let (status, _) = server.request("DELETE", "/api/v1/banks/NATIVE", token, &[], b"");
    assert_eq!(status, 204);
    let (status, err) = server.get("/api/v1/banks/NATIVE", token);
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "not_found");
}

/// The OpenAPI document describes the native routes, the reports route among them.
fn step_the_openapi_document_lists_the_routes(server: &Server) {
    let (status, doc) = server.get("/api/v1/openapi.json", None);
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    assert!(doc["paths"]["/api/v1/match"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/reports"]["post"].is_object());
    assert!(doc["components"]["schemas"]["ReportInput"]["properties"]["incident_type"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// What the video steps share: the store, the server and two users' tokens, the test videos,
/// and what the first step banked.
struct Videos<'a> {
    t: &'a TestStore,
    server: Server,
    platform: Option<String>,
    analyst: Option<String>,
    doorknob: &'a [u8],
    pattern: &'a [u8],
    pattern_reference: &'a String,
    /// The banked video's MD5, vPDQ signal and content id.
    md5: String,
    signal: String,
    content_id: i64,
}

#[tokio::test(flavor = "multi_thread")]
async fn video_uploads_match_through_hma_and_native_routes() {
    if ffmpeg_missing("video_uploads_match_through_hma_and_native_routes") {
        return;
    }
    let doorknob = std::fs::read(testdata("vpdq/videos/doorknob-hd-no-bar.mp4")).expect("video");
    let pattern = std::fs::read(testdata("vpdq/videos/pattern-sd-grey-bar.mp4")).expect("video");
    let pattern_reference = {
        let text = std::fs::read_to_string(testdata("vpdq/sample-hashes/pattern-sd-grey-bar.txt"))
            .expect("reference hashes");
        let frames = lindung_media::vpdq::parse_frames(&text).expect("reference format");
        lindung_media::vpdq::to_signal(&frames)
    };
    for t in support::stores("video_routes").await {
        let tokens = tokens(&t.store).await;
        let token_of = |role: Role| {
            tokens
                .iter()
                .find(|(r, _)| *r == role)
                .map(|(_, t)| t.clone())
        };
        let platform = token_of(Role::Platform);
        let analyst = token_of(Role::Analyst);
        let server = Server::start(&t.location);
        let mut v = Videos {
            t: &t,
            server,
            platform,
            analyst,
            doorknob: &doorknob,
            pattern: &pattern,
            pattern_reference: &pattern_reference,
            md5: String::new(),
            signal: String::new(),
            content_id: 0,
        };
        step_a_video_is_hashed_banked_and_looked_up_through_hma(&mut v);
        step_bad_videos_are_refused(&v);
        step_the_native_api_matches_a_sample_of_every_frame(&v);
        step_a_restart_keeps_videos_and_deleting_the_bank_drops_them(v);
    }
}

/// HMA: hash a video, bank it by upload, then look the same video up, by upload and by signal.
fn step_a_video_is_hashed_banked_and_looked_up_through_hma(v: &mut Videos<'_>) {
    let (t, server, doorknob, pattern) = (v.t, &v.server, v.doorknob, v.pattern);
    let platform = v.platform.as_deref();
    let (status, _) = server.json("POST", "/c/banks", platform, &json!({"name": "VIDEOS"}));
    assert_eq!(status, 201);
    let (status, hashed) = server.upload_field("/h/hash", platform, "video", doorknob);
    assert_eq!(status, 200, "{}: {hashed}", t.name);
    let md5 = lindung_media::Digests::of(doorknob).md5_hex();
    assert_eq!(hashed["video_md5"], md5.as_str());
    let signal = hashed["vpdq"].as_str().expect("vpdq signal").to_owned();
    let frames = lindung_media::vpdq::parse_signal(&signal).expect("signal parses");
    assert!(frames.len() >= 2, "one hash per second: {}", frames.len());

    let (status, added) =
        server.upload_field("/c/bank/VIDEOS/content", platform, "video", doorknob);
    assert_eq!(status, 200, "{}: {added}", t.name);
    assert_eq!(added["signals"]["video_md5"], md5.as_str());
    assert_eq!(added["signals"]["vpdq"], signal.as_str());
    let content_id = added["id"].as_i64().expect("content id");

    let (status, found) = server.upload_field("/m/lookup", platform, "video", doorknob);
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        found,
        json!({
            "vpdq": {"VIDEOS": [{"bank_content_id": content_id, "query_match_percent": 100.0, "compared_match_percent": 100.0}]},
            "video_md5": {"VIDEOS": [{"bank_content_id": content_id, "distance": "0"}]},
        }),
        "{}",
        t.name
    );
    let (status, other) = server.upload_field("/m/lookup", platform, "video", pattern);
    assert_eq!(status, 200);
    assert_eq!(other, json!({"vpdq": {}, "video_md5": {}}), "{}", t.name);
    let (status, by_signal) = server.get(
        &format!("/m/lookup?signal_type=vpdq&signal={}", urlencode(&signal)),
        platform,
    );
    assert_eq!(status, 200);
    assert_eq!(by_signal["VIDEOS"][0]["bank_content_id"], content_id);
    let (status, by_md5) = server.get(
        &format!("/m/lookup?signal_type=video_md5&signal={md5}"),
        platform,
    );
    assert_eq!(status, 200);
    assert_eq!(by_md5["VIDEOS"][0]["bank_content_id"], content_id);
    let (status, err) = server.get("/m/lookup?signal_type=vpdq&signal=%5B%22zz%22%5D", platform);
    assert_eq!(status, 400, "{err}");
    (v.md5, v.signal, v.content_id) = (md5, signal, content_id);
}

/// Bad videos: a clear 422, nothing stored.
fn step_bad_videos_are_refused(v: &Videos<'_>) {
    let (t, server, doorknob) = (v.t, &v.server, v.doorknob);
    let platform = v.platform.as_deref();
    let mut truncated = doorknob[..2000].to_vec();
    truncated.extend_from_slice(&[0u8; 64]);
    for bad in [&b"not a video at all"[..], &truncated] {
        let (status, err) = server.upload_field("/m/lookup", platform, "video", bad);
        assert_eq!(status, 422, "{}: {err}", t.name);
        assert_eq!(err["error"]["code"], "unprocessable_video", "{err}");
        let (status, _) = server.upload_field("/c/bank/VIDEOS/content", platform, "video", bad);
        assert_eq!(status, 422);
    }
}

/// Native API: bank the reference's every-frame hashes of another video; its upload (one frame
/// per second, a subset) matches them fully.
fn step_the_native_api_matches_a_sample_of_every_frame(v: &Videos<'_>) {
    let (t, server, pattern, pattern_reference) = (v.t, &v.server, v.pattern, v.pattern_reference);
    let (md5, signal) = (v.md5.clone(), v.signal.clone());
    let analyst = v.analyst.as_deref();
    let (status, added) = server.json(
        "POST",
        "/api/v1/banks/VIDEOS/content",
        analyst,
        &json!({"vpdq": pattern_reference, "note": "reference"}),
    );
    assert_eq!(status, 201, "{}: {added}", t.name);
    let pattern_id = added["id"].as_i64().expect("id");
    let (status, matched) = server.upload_field("/api/v1/match/video", analyst, "video", pattern);
    assert_eq!(status, 200, "{}: {matched}", t.name);
    let matches = matched["matches"].as_array().expect("matches");
    assert_eq!(matches.len(), 1, "{matched}");
    assert_eq!(matches[0]["content_id"], pattern_id);
    assert_eq!(matches[0]["signal_type"], "vpdq");
    assert_eq!(matches[0]["note"], "reference");
    assert_eq!(matches[0]["query_match_pct"], 100.0);
    let target = matches[0]["target_match_pct"].as_f64().expect("target pct");
    assert!(
        target > 0.0 && target < 50.0,
        "a 1/s sample of every frame: {target}"
    );
    let (status, hashes) = server.upload_field("/api/v1/hash/video", analyst, "video", pattern);
    assert_eq!(status, 200);
    assert_eq!(matched["hashes"], hashes);
    let (status, by_json) = server.json(
        "POST",
        "/api/v1/match",
        analyst,
        &json!({"vpdq": hashes["vpdq"], "video_md5": md5}),
    );
    assert_eq!(status, 200);
    let kinds: Vec<&str> = by_json["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .filter_map(|m| m["signal_type"].as_str())
        .collect();
    assert_eq!(kinds, ["vpdq", "video_md5"], "{by_json}");
    let (status, listed) = server.get("/api/v1/banks/VIDEOS/content", analyst);
    assert_eq!(status, 200);
    let listed_signal = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .flat_map(|c| c["signals"].as_array().cloned().unwrap_or_default())
        .find(|s| s["signal_type"] == "vpdq" && s["value"] != signal.as_str())
        .expect("the reference vpdq is listed");
    assert_eq!(listed_signal["value"], pattern_reference.as_str());
}

/// The matcher's snapshot keeps videos across a restart; a deleted bank's videos stop matching.
fn step_a_restart_keeps_videos_and_deleting_the_bank_drops_them(v: Videos<'_>) {
    let Videos {
        t,
        mut server,
        platform,
        doorknob,
        content_id,
        ..
    } = v;
    let platform = platform.as_deref();
    server.terminate();
    server = Server::start(&t.location);
    let (_, found) = server.upload_field("/m/lookup", platform, "video", doorknob);
    assert_eq!(
        found["vpdq"]["VIDEOS"][0]["bank_content_id"], content_id,
        "{}",
        t.name
    );

    // A deleted bank's videos stop matching.
    let (status, _) = server.request("DELETE", "/c/bank/VIDEOS", platform, &[], b"");
    assert_eq!(status, 200);
    let (_, found) = server.upload_field("/m/lookup", platform, "video", doorknob);
    assert_eq!(found, json!({"vpdq": {}, "video_md5": {}}));
    server.terminate();
}
