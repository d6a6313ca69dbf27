#!/usr/bin/env python3
"""Writes the starting corpora (corpus/TARGET/seed-*) from the repository's own test data and
the documented formats. Run once from crates/lindung/fuzz; `cargo fuzz cmin` then keeps what
adds coverage. Everything here is synthetic: hashes of the benign test images, made-up
hosts under .example, made-up names."""
import json, os, pathlib

ROOT = pathlib.Path(__file__).resolve().parents[4]
OUT = pathlib.Path(__file__).resolve().parents[1] / "corpus"
A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
B = "d3d8981ba52c59e79fb49295bed80905036b1dbe57b292c8ea4fb525f52c420e"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def put(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / f"seed-{name}").write_bytes(data)


def head(path, lines):
    return "".join(open(path, encoding="utf-8").readlines()[:lines])


vpdq_lines = ROOT / "testdata/vpdq/sample-hashes/pattern-hd-no-bar.txt"
vpdq_json = ROOT / "testdata/hma/vpdq_signal_example.json"
signal = json.dumps(json.load(open(vpdq_json))[:4])

# hash_list: every import format, with comments, ids, other signal types and videos.
put("hash_list", "plain", f"# bank\n{A}\n\n{B}  photo-7\n")
put("hash_list", "local_file", head(ROOT / "testdata/hma/local_file_signals.txt", 3))
put("hash_list", "local_file_mixed",
    f"pdq {A}\nvideo_md5 {MD5.upper()}\nurl https://x.example\nvpdq {signal}\n")
csv_signal = '"' + signal.replace('"', '""') + '"'
put("hash_list", "te_csv",
    "signal_type,signal_str,collab,category,tags\n"
    f"pdq,{A},collab-1,POSITIVE_CLASS,tag1 tag2\n"
    "url,https://x.example,collab-1,POSITIVE_CLASS,\n"
    f"vpdq,{csv_signal},collab-1,POSITIVE_CLASS,\n"
    f"video_md5,{MD5},collab-1,POSITIVE_CLASS,\n")
put("hash_list", "bom", "\ufeff" + f"{A}\n")

# vpdq_signal: the HMA signal string and the reference tools' line format.
put("vpdq_signal", "signal", signal)
put("vpdq_signal", "signal_small", '["%s,49,0.5","%s,100,1e-05"]' % (A, B))
put("vpdq_signal", "frames", head(vpdq_lines, 4))

report = {
    "incident_type": "csam",
    "incident_time": "2026-11-01T10:00:00Z",
    "annotations": ["sextortion", "generativeAi"],
    "platform": "Example Chat",
    "service": "messages",
    "seen_on": "messaging_app",
    "reported_user": {
        "identifiers": ["user-123"],
        "screen_name": "someone",
        "profile_url": "https://chat.example/u/123",
        "ip_capture_events": [
            {"ip": "192.0.2.10", "event": "Login", "at": "2026-11-01T09:00:00+07:00"},
            {"ip": "2001:db8::1", "event": "Upload", "at": None},
        ],
    },
    "victims": [{"estimated_age": 12}, {"estimated_age": None}],
    "files": [{"pdq": A, "md5": MD5, "sha256": SHA, "content_base64": "aGVsbG8="}],
    "urls": ["https://host.example/p/1?x=1#frag", "www.example.org/page"],
    "description": "A made-up description <with> & \"markup\" \u0e44\u0e17\u0e22",
    "immediate_danger": True,
    "reporter_country": "th",
    "contact": "reporter@example.org",
}
minimal = {"incident_type": "online_enticement", "urls": ["http://a.example/"]}
for target in ("report_json", "cybertip_xml"):
    put(target, "full", json.dumps(report, indent=1))
    put(target, "minimal", json.dumps(minimal))
    put(target, "files_only", json.dumps({"incident_type": "csam", "files": [{"md5": MD5}]}))

partner = {
    "format": "lindung.partner-report/1",
    "from_hotline": "Hotline TH", "from_country": "TH", "source_report": "42",
    "incident_type": "csam", "incident_time": "2026-11-01T10:00:00Z",
    "annotations": ["sextortion"], "immediate_danger": False, "victim_ages": [10],
    "urls": [{"url": "https://host.example/p/1", "hosting_country": "VN"}],
    "files": [{"pdq": A, "md5": MD5, "sha256": None}],
    "assessments": [{"item": "https://host.example/p/1", "legal_status": "baseline",
                     "category": "A1", "age_group": "prepubescent", "content_kind": "image",
                     "country": "TH"}],
}
put("partner_import", "docs_example", json.dumps(partner, indent=2))
put("partner_import", "minimal", json.dumps({
    "format": "lindung.partner-report/1", "from_hotline": "H", "from_country": "VN",
    "source_report": "1", "incident_type": "csam", "files": [{"sha256": SHA}]}))

put("ip_ranges", "v4_v6",
    "start_ip,end_ip,country\n1.0.0.0,1.0.0.255,AU\n192.0.2.0 , 192.0.2.255 , th\n"
    "2001:db8::,2001:db8::ffff,VN\n")
put("ip_ranges", "defaults_example",
    open(ROOT / "crates/lindung/defaults/ip-ranges-example.csv", encoding="utf-8").read())
put("ip_ranges", "quoted", '"10.0.0.0","10.255.255.255","ZZ",extra\n')

def form(parts):
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        out += b"--FUZZ\r\nContent-Disposition: " + disposition.encode() + b"\r\n"
        if filename:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    return out + b"--FUZZ--\r\n"

put("multipart_upload", "photo", form([("csrf", b"token", None), ("bank", b"1", None),
                                        ("photo", b"GIF89a\x01\x00\x01\x00", "x.gif")]))
put("multipart_upload", "video_and_fields", form([("video", b"\x00\x00\x00\x18ftypmp42", "v.mp4"),
                                                  ("note", "\u0e44\u0e17\u0e22".encode(), None)]))
put("multipart_upload", "two_files", form([("photo", b"a", "a"), ("video", b"b", "b")]))
