import json

from django.core.management import call_command


def test_bench_prints_json_lines_with_reference_and_ratio(capsys, db):
    call_command("bench", "--json", "--only", "business_days")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["name"] for line in lines] == ["business_days_20k"]
    result = lines[0]
    assert result["unit"] == "s"
    assert result["value"] > 0
    assert result["reference_value"] > 0
    assert (
        result["ratio"] == round(result["value"] / result["reference_value"], 2)
        or abs(result["ratio"] - result["value"] / result["reference_value"]) < 0.5
    )
