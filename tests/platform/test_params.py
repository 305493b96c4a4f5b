"""The calibrated parameters: read once per file, read again after `reload()`."""
import json

from flexrepro.platform.params import PARAMS_FILE, load_params, reload


def test_reload_reads_a_replaced_file_again(tmp_path):
    doc = json.loads(PARAMS_FILE.read_text())
    path = tmp_path / "params.json"
    path.write_text(json.dumps(doc))
    first = load_params(path)
    doc["platform"]["tlb_miss_cycles"] = first.platform["tlb_miss_cycles"] + 1.0
    path.write_text(json.dumps(doc))
    assert load_params(path) is first                  # cached: the file is not read per call
    reload()
    assert load_params(path).platform["tlb_miss_cycles"] == first.platform["tlb_miss_cycles"] + 1.0
