"""Parses Lindung's CyberTipline XML with the typed models of the `ncmec-cybertip` package
(the public client of NCMEC's reporting API) and prints what it read, as JSON.

Usage: validate_cybertip.py REPORT.xml FILE.xml...

The package's client module needs Python 3.12 syntax; its models do not, so the package is
loaded without running its __init__ (which imports the client)."""

import importlib.util
import json
import pathlib
import sys
import types

spec = importlib.util.find_spec("ncmec_cybertip")
if spec is None or not spec.submodule_search_locations:
    sys.exit("ncmec-cybertip is not installed")
package = types.ModuleType("ncmec_cybertip")
package.__path__ = list(spec.submodule_search_locations)
sys.modules["ncmec_cybertip"] = package

from ncmec_cybertip.files import FileDetails  # noqa: E402
from ncmec_cybertip.report import Report  # noqa: E402

report = Report.from_xml(pathlib.Path(sys.argv[1]).read_bytes())
files = [FileDetails.from_xml(pathlib.Path(p).read_bytes()) for p in sys.argv[2:]]
summary = report.incident_summary
user = report.person_or_user_reported
print(json.dumps({
    "incident_type": summary.incident_type.name,
    "incident_date_time": summary.incident_date_time.isoformat(),
    "sextortion": bool(summary.report_annotations and summary.report_annotations.sextortion is not None),
    "escalate": summary.escalate_to_high_priority,
    "platform": summary.platform,
    "urls": [u for d in report.internet_details if d.web_page_incident for u in d.web_page_incident.url],
    "reporter": report.reporter.reporting_person.last_name,
    "screen_name": user.screen_name if user else None,
    "ip_addresses": [e.ip_address for e in user.ip_capture_event] if user else [],
    "victim_ages": [v.person.age for v in report.victim],
    "files": [{
        "report_id": f.report_id,
        "classification": f.industry_classification.value if f.industry_classification else None,
        "hashes": {h.hash_type: h.value for h in f.original_file_hash},
        "pdq": [p.value for d in f.details for p in d.name_value_pair if p.name == "PDQ"],
    } for f in files],
}))
