"""Metrics, answer keys and prediction files: parsing, checks, the public/private split and blobs."""
import hashlib
import io
import math
import tempfile

import numpy as np
import pytest

from challenges.errors import ValidationFailed
from challenges.services import answer_files
from challenges.services.answer_files import (
    Key, check_split, from_blob, public_mask, read_key, read_predictions, to_blob,
)
from challenges.services.metrics import METRICS

KEY = "id,label\na3,1\na1,0\na2,1\na4,0\n"


@pytest.fixture(params=[100_000, 2], ids=["one-chunk", "chunks-of-2"])
def chunk_rows(request, monkeypatch):
    """Run a test with the real chunk size and with chunks of 2 rows, so problems straddle chunks."""
    monkeypatch.setattr(answer_files, "CHUNK_ROWS", request.param)


def key_of(data: str | bytes, metric: str = "accuracy") -> Key:
    """An answer key read from the given file content."""
    return read_key(io.BytesIO(data.encode() if isinstance(data, str) else data), METRICS[metric])


def predictions_of(data: str | bytes, key: Key, metric: str = "accuracy") -> tuple[np.ndarray, str]:
    """Predictions read from the given file content against key."""
    stream = io.BytesIO(data.encode() if isinstance(data, str) else data)
    return read_predictions(stream, key, METRICS[metric])


def failure(call, *args) -> str:
    """The single message of the ValidationFailed that call raises, checked to be about the file."""
    with pytest.raises(ValidationFailed) as caught:
        call(*args)
    assert list(caught.value.errors) == ["file"]
    [message] = caught.value.errors["file"]
    assert message == caught.value.detail
    return message


@pytest.mark.parametrize(("name", "y_true", "y_pred", "expected"), [
    ("accuracy", [1, 0, 1, 1], [1, 0, 0, 1], 0.75),
    ("f1_macro", [0, 1, 2, 2], [0, 2, 2, 1], (1 + 0 + 0.5) / 3),  # class 2: precision 1/2, recall 1/2
    ("mae", [1, 2, 3], [2, 2, 5], 1.0),
    ("rmse", [1, 2, 3], [2, 2, 5], math.sqrt(5 / 3)),
    ("log_loss", [0, 1, 1], [0.2, 0.7, 0.9], -(math.log(0.8) + math.log(0.7) + math.log(0.9)) / 3),
    ("roc_auc", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75),  # 3 of the 4 positive-negative pairs in order
])
def test_metric_score_matches_hand_computation(name, y_true, y_pred, expected):
    score = METRICS[name].score(np.array(y_true, dtype=np.float64), np.array(y_pred, dtype=np.float64))
    assert type(score) is float
    assert score == pytest.approx(expected)


def test_metrics_directions_and_kinds_are_declared():
    declared = {name: (m.higher_is_better, m.labels, m.predictions, m.needs_both_classes)
                for name, m in METRICS.items()}
    assert declared == {
        "accuracy": (True, "integer", "integer", False),
        "f1_macro": (True, "integer", "integer", False),
        "mae": (False, "any", "any", False),
        "rmse": (False, "any", "any", False),
        "log_loss": (False, "binary", "probability", False),
        "roc_auc": (True, "binary", "score", True),
    }
    assert all(metric.name == name for name, metric in METRICS.items())


def test_log_loss_scores_a_part_with_one_class():
    score = METRICS["log_loss"].score(np.array([1.0, 1.0]), np.array([0.5, 0.5]))
    assert score == pytest.approx(-math.log(0.5))


def test_key_good_file_is_sorted_and_hashed():
    key = key_of(KEY)
    assert key.target == "label"
    assert key.ids.dtype.kind == "S"
    assert key.ids.tolist() == [b"a1", b"a2", b"a3", b"a4"]
    assert key.values.dtype == np.float64
    assert key.values.tolist() == [0, 1, 1, 0]
    assert key.rows == 4
    assert key.sha256 == hashlib.sha256(KEY.encode()).hexdigest()


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf" + KEY.encode(),
    KEY.replace("\n", "\r\n").encode(),
    ("\n" + KEY.replace("\n", "\n\n")).encode(),
    KEY.rstrip("\n").encode(),
], ids=["bom", "crlf", "blank-lines", "no-final-newline"])
def test_key_variants_parse_alike(data):
    key = key_of(data)
    assert (key.target, key.ids.tolist(), key.values.tolist()) == ("label", [b"a1", b"a2", b"a3", b"a4"], [0, 1, 1, 0])
    assert key.sha256 == hashlib.sha256(data).hexdigest()


def test_key_quoted_and_unicode_ids_are_utf8_bytes():
    key = key_of('id,price\n"b,2",2.5\nÉté,-1e3\n', "mae")
    assert key.ids.tolist() == [b"b,2", "Été".encode()]
    assert key.values.tolist() == [2.5, -1000.0]


def test_key_spooled_upload_is_read_and_left_open():
    with tempfile.SpooledTemporaryFile(max_size=10) as stream:  # rolls over to disk, like a large upload
        stream.write(KEY.encode())
        stream.seek(0)
        key = read_key(stream, METRICS["accuracy"])
        assert not stream.closed
    assert key.sha256 == hashlib.sha256(KEY.encode()).hexdigest()


def test_key_id_of_200_characters_is_accepted():
    assert key_of(f"id,y\n{'x' * 200},1\n").ids.tolist() == [b"x" * 200]


@pytest.mark.parametrize(("data", "metric", "message"), [
    (b"", "accuracy", "The file is empty."),
    (b"\n\r\n\n", "accuracy", "The file is empty."),
    (b"id,label\n", "accuracy", "The file has no rows."),
    (b"id,label\n\n\n", "accuracy", "The file has no rows."),
    (b"id,label\na,1\nb,\xff\n", "accuracy", "The file is not UTF-8 text."),
    (b"ident,label\na,1\n", "accuracy", "Line 1: the header must be id,<target>."),
    (b"id,\na,1\n", "accuracy", "Line 1: the header must be id,<target>."),
    (b"id,label,extra\na,1\n", "accuracy", "Line 1: the header must be id,<target>."),
    (b"id,label\na,1\nb,2\nc,3\na,4\n", "accuracy", "Line 5: id 'a' appears again (first on line 2)."),
    (b"id,label\na,1\nb,2\na,4\nb,5\na,6\n", "accuracy", "Line 4: id 'a' appears again (first on line 2)."),
    (b"id,label\na,1\nb,x1\n", "mae", "Line 3: 'x1' is not a number."),
    (b"id,label\na,1\nb,\n", "mae", "Line 3: the value is empty."),
    (b"id,label\na,nan\n", "mae", "Line 2: 'nan' is not a finite number."),
    (b"id,label\na,1\nb,-inf\n", "mae", "Line 3: '-inf' is not a finite number."),
    (b"id,label\na,1\nb,2,3\n", "mae", "Line 3: expected 2 columns, found 3."),
    (b"id,label\na,1\nb\n", "mae", "Line 3: expected 2 columns, found 1."),
    (b"id,label\na,1\n\n,2\n", "mae", "Line 4: the id is empty."),
    (f"id,label\na,1\n{'x' * 201},2\n".encode(), "mae", "Line 3: the id is longer than 200 characters."),
    (b"id,label\na,1\nb,1.5\n", "accuracy", "Line 3: a class label must be an integer."),
    (b"id,label\na,1\nb,1e20\n", "accuracy", "Line 3: a class label must be an integer of at most 15 digits."),
    (b"id,label\na,1\nb,2\n", "log_loss", "Line 3: the label must be 0 or 1."),
    (b"id,label\na,1\nb,1.5e15\n", "mae", "Line 3: a target must lie between -1e15 and 1e15."),
    (b"id,label\na,-1e300\nb,1\n", "rmse", "Line 2: a target must lie between -1e15 and 1e15."),
    (b"id,label\na,1\nb,-1\n", "roc_auc", "Line 3: the label must be 0 or 1."),
], ids=lambda value: value if isinstance(value, str) and len(value) < 12 else None)
def test_key_malformed_file_is_refused(chunk_rows, data, metric, message):
    assert failure(key_of, data, metric) == message


@pytest.mark.parametrize(("data", "message"), [
    (b"id,y\na,1\na,2\nb,x\n", "Line 3: id 'a' appears again (first on line 2)."),
    (b"id,y\na,x\nb,1\nb,2\n", "Line 2: 'x' is not a number."),
    (b"id,y\na,1\nb,2\nc,3\nb,4\nd,1,2\n", "Line 5: id 'b' appears again (first on line 3)."),
    (b"id,y\na,1\nb,x\nc,3\nd,1,2\n", "Line 3: 'x' is not a number."),
    (b"id,y\na,1\nb,1.5\nc,3\nd,x\n", "Line 3: a class label must be an integer."),
    (b"id,y\na,1\nb,x\nc,3\nd,1.5\n", "Line 3: 'x' is not a number."),
])
def test_key_several_problems_report_the_earliest_line(chunk_rows, data, message):
    assert failure(key_of, data) == message


def test_predictions_good_file_is_aligned_and_hashed(chunk_rows):
    data = "id,label\na4,0.4\na2,0.2\n\na1,0.1\r\na3,0.3\n"
    values, sha256 = predictions_of(data, key_of(KEY), "log_loss")
    assert values.dtype == np.float64
    assert values.tolist() == [0.1, 0.2, 0.3, 0.4]
    assert sha256 == hashlib.sha256(data.encode()).hexdigest()


def test_predictions_for_roc_auc_are_scores_of_any_finite_size():
    values, _ = predictions_of("id,label\na1,-3.5\na2,0.75\na3,1e6\na4,0.5\n", key_of(KEY, "roc_auc"), "roc_auc")
    assert values.tolist() == [-3.5, 0.75, 1e6, 0.5]  # only their order counts: decision scores and logits do
    message = failure(predictions_of, "id,label\na1,0\na2,0.75\na3,1e16\na4,0.5\n", key_of(KEY, "roc_auc"), "roc_auc")
    assert message == "Line 4: a score must lie between -1e15 and 1e15."


@pytest.mark.parametrize(("values", "bounds"), [
    ([3.7, 97.2], (-100, 200)),  # scale 97.2: widened to -93.5 .. 194.4, rounded outward to tens
    ([0, 100], (-100, 200)),
    ([270, 310], (-100, 700)),  # the magnitude, not only the span, sets the width
    ([1_000_000, 1_000_005], (-1_000_000, 3_000_000)),  # a narrow key far from zero is not located by its range
    ([20, 20.3, 20.5], (-10, 50)),
    ([1e-9, 5e-9], (-4e-9, 1e-8)),
    ([-1e15, 1e15], (-3e15, 3e15)),
    ([0, 0], (-1, 1)),  # a key of zeros leaves room around them
    ([5, 5], (0, 10)),
    ([0, 5e-324], (-1e-300, 1e-300)),  # however close the targets, the unit stays a normal float
])
def test_prediction_range_widens_the_key_by_its_scale_and_rounds_outward(values, bounds):
    assert answer_files.prediction_range(np.array(values, dtype=np.float64)) == bounds


def test_key_for_regression_carries_its_prediction_range_and_others_none():
    assert key_of("id,y\na,10\nb,40\nc,25\n", "rmse").bounds == (-30, 80)
    assert key_of(KEY, "roc_auc").bounds is None and key_of(KEY, "accuracy").bounds is None


@pytest.mark.parametrize(("value", "message"), [
    ("80", None), ("-30", None), ("-29.5", None),
    ("80.000001", "Line 3: a prediction must lie between -30 and 80 for this challenge."),
    ("-31", "Line 3: a prediction must lie between -30 and 80 for this challenge."),
    (str(2 ** 60), "Line 3: a prediction must lie between -30 and 80 for this challenge."),  # a crafted power of two
    ("1e308", "Line 3: a prediction must lie between -30 and 80 for this challenge."),
    ("1e309", "Line 3: '1e309' is not a finite number."),
    ("-inf", "Line 3: '-inf' is not a finite number."),
    ("nan", "Line 3: 'nan' is not a finite number."),
], ids=lambda value: value if isinstance(value, str) and len(value) < 12 else None)
def test_predictions_for_regression_lie_within_the_key_range(chunk_rows, value, message):
    key = key_of("id,y\na,10\nb,40\nc,25\n", "rmse")
    data = f"id,y\na,11\nb,{value}\nc,25\n"
    if message is None:
        assert predictions_of(data, key, "rmse")[0].tolist() == [11, float(value), 25]
    else:
        assert failure(predictions_of, data, key, "rmse") == message


@pytest.mark.parametrize(("data", "metric", "message"), [
    (b"", "accuracy", "The file is empty."),
    (b"id,label\n", "accuracy", "The file has no rows."),
    (b"id,label\na1,1\na2,\xe9\n", "accuracy", "The file is not UTF-8 text."),
    (b"id,score\na1,1\n", "accuracy", "Line 1: the header must be id,label."),
    (b"id\na1,1\n", "accuracy", "Line 1: the header must be id,label."),
    (b"id,label\na1,1\na2,1\nzz,1\n", "accuracy", "Line 4: id 'zz' is not in the answer key."),
    (b"id,label\na1,1\na1x,1\n", "accuracy", "Line 3: id 'a1x' is not in the answer key."),
    (b"id,label\na1,1\na2,1\na3,1\na2,0\n", "accuracy", "Line 5: id 'a2' appears again (first on line 3)."),
    (b"id,label\na1,1\na2,1\n", "accuracy", "2 ids of the answer key are missing, for example 'a3'."),
    (b"id,label\na1,1\na2,1\na4,1\n", "accuracy", "1 id of the answer key is missing: 'a3'."),
    (b"id,label\na1,1\na2,x1\n", "mae", "Line 3: 'x1' is not a number."),
    (b"id,label\na1,1\na2,inf\n", "mae", "Line 3: 'inf' is not a finite number."),
    (b"id,label\na1,1\na2,1,\n", "mae", "Line 3: expected 2 columns, found 3."),
    (b"id,label\na1,1\n,1\n", "mae", "Line 3: the id is empty."),
    (f"id,label\na1,1\n{'a' * 201},1\n".encode(), "mae", "Line 3: the id is longer than 200 characters."),
    (b"id,label\na1,1\na2,0.5\n", "accuracy", "Line 3: a class label must be an integer."),
    (b"id,label\na1,1\na2,1.01\n", "log_loss", "Line 3: a probability must be between 0 and 1."),
    (b"id,label\na1,-0.5\n", "log_loss", "Line 2: a probability must be between 0 and 1."),
], ids=lambda value: value if isinstance(value, str) and len(value) < 12 else None)
def test_predictions_malformed_file_is_refused(chunk_rows, data, metric, message):
    key = key_of(KEY, "roc_auc")
    assert failure(predictions_of, data, key, metric) == message


@pytest.mark.parametrize(("data", "message"), [
    (b"id,label\na1,1\nzz,1\na1,1\na2,x\n", "Line 3: id 'zz' is not in the answer key."),
    (b"id,label\na1,1\na2,x\nzz,1\na1,1\n", "Line 3: 'x' is not a number."),
    (b"id,label\na1,1\na2,1\na1,1\nzz,1\n", "Line 4: id 'a1' appears again (first on line 2)."),
    (b"id,label\na1,1\na2,1\na3,1\nzz,1\na1,1\n", "Line 5: id 'zz' is not in the answer key."),
    (b"id,label\na1,1\na2,1.5\na3,1,2\n", "Line 3: a class label must be an integer."),
    (b"id,label\na1,1\na2,1\na3,1,2\na9,x\n", "Line 4: expected 2 columns, found 3."),
    (b"id,label\na1,1\nzz,1\n", "Line 3: id 'zz' is not in the answer key."),
])
def test_predictions_several_problems_report_the_earliest_line(chunk_rows, data, message):
    assert failure(predictions_of, data, key_of(KEY)) == message


def test_split_same_file_gives_same_mask():
    data = KEY + "".join(f"b{i},{i % 2}\n" for i in range(96))
    first, second = key_of(data, "roc_auc"), key_of(data, "roc_auc")
    assert first.rows == 100
    assert np.array_equal(public_mask(first, 0.3), public_mask(second, 0.3))


def test_split_depends_on_the_file():
    rows = "".join(f"b{i},{i % 2}\n" for i in range(100))
    key, changed = key_of("id,y\n" + rows), key_of("id,y\n" + rows + "c,1\n")
    assert not np.array_equal(public_mask(key, 0.5), public_mask(changed, 0.5)[changed.ids != b"c"])


@pytest.mark.parametrize(("rows", "fraction", "public"), [
    (1000, 0.3, 300), (1000, 0.25, 250), (3, 0.5, 2), (10, 0.0, 1), (10, 0.01, 1), (10, 1.0, 9), (2, 0.5, 1),
])
def test_split_fraction_is_respected_and_clamped(rows, fraction, public):
    key = key_of("id,y\n" + "".join(f"r{i},{i % 3}\n" for i in range(rows)))
    mask = public_mask(key, fraction)
    assert mask.dtype == np.bool_
    assert mask.shape == (rows,)
    assert int(mask.sum()) == public


def test_split_of_one_row_is_refused():
    message = failure(public_mask, key_of("id,y\na,1\n"), 0.5)
    assert message == "The answer key needs at least 2 rows: one public, one private."


def test_split_for_roc_auc_with_one_class_in_a_part_is_refused():
    key = Key("y", np.array([b"a", b"b", b"c", b"d"]), np.array([0.0, 1.0, 1.0, 0.0]), "0" * 64)
    message = failure(check_split, key, np.array([False, True, True, False]), METRICS["roc_auc"])
    assert message == ("The public and the private part each need both classes for roc_auc; "
                       "add rows of the missing class.")


def test_split_for_roc_auc_with_both_classes_in_each_part_passes():
    key = Key("y", np.array([b"a", b"b", b"c", b"d"]), np.array([0.0, 1.0, 1.0, 0.0]), "0" * 64)
    assert check_split(key, np.array([True, True, False, False]), METRICS["roc_auc"]) is None


def test_split_for_log_loss_with_one_class_in_a_part_passes():
    key = Key("y", np.array([b"a", b"b", b"c", b"d"]), np.array([0.0, 1.0, 1.0, 0.0]), "0" * 64)
    assert check_split(key, np.array([False, True, True, False]), METRICS["log_loss"]) is None


def test_blob_round_trip_keeps_values_and_dtypes():
    arrays = {"ids": np.array([b"a1", "é".encode()]), "values": np.array([0.5, -1.0]),
              "public": np.array([True, False])}
    restored = from_blob(to_blob(**arrays))
    assert restored.keys() == arrays.keys()
    for name, array in arrays.items():
        assert restored[name].dtype == array.dtype
        assert np.array_equal(restored[name], array)


def test_blob_with_pickled_objects_is_refused():
    with pytest.raises(ValueError):
        from_blob(to_blob(objects=np.array([{"a": 1}], dtype=object)))


def test_large_files_round_trip():
    rows = 200_000
    rng = np.random.default_rng(3)
    ids = [f"id-{i}" for i in rng.permutation(rows)]
    labels = rng.integers(0, 2, rows)
    key_data = "id,outcome\n" + "".join(f"{i},{y}\n" for i, y in zip(ids, labels, strict=True))
    key = key_of(key_data, "roc_auc")
    order = rng.permutation(rows)
    predictions_data = "id,outcome\n" + "".join(f"{ids[j]},{j / rows}\n" for j in order)
    values, sha256 = predictions_of(predictions_data, key, "roc_auc")
    expected = {ids[j].encode(): j / rows for j in range(rows)}
    assert values.tolist() == [expected[i] for i in key.ids.tolist()]
    assert sha256 == hashlib.sha256(predictions_data.encode()).hexdigest()
    mask = public_mask(key, 0.3)
    check_split(key, mask, METRICS["roc_auc"])
    restored = from_blob(to_blob(ids=key.ids, values=key.values, public=mask))
    assert np.array_equal(restored["ids"], key.ids) and np.array_equal(restored["public"], mask)
