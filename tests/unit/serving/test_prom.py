"""The Prometheus exposition: cumulative buckets, +Inf, sum, count, escaping."""

from __future__ import annotations

from local_serving.metrics.prom import Family, render


def test_histogram_buckets_are_cumulative_and_inclusive():
    family = Family("lat_seconds", "Latency.", "histogram", ("model",), (0.1, 0.5))
    child = family.histogram("m")
    for value in (0.05, 0.1, 0.3, 0.7):
        child.observe(value)
    text = render([family]).decode()
    assert "# TYPE lat_seconds histogram" in text
    assert 'lat_seconds_bucket{model="m",le="0.1"} 2' in text
    assert 'lat_seconds_bucket{model="m",le="0.5"} 3' in text
    assert 'lat_seconds_bucket{model="m",le="+Inf"} 4' in text
    assert 'lat_seconds_count{model="m"} 4' in text
    assert 'lat_seconds_sum{model="m"} 1.15' in text


def test_nan_and_infinite_values_are_not_counted():
    family = Family("score", "Score.", "histogram", (), (0.5,))
    family.histogram().observe_many([0.2, float("nan"), float("inf"), float("-inf"), 0.9])
    text = render([family]).decode()
    assert "score_count 2" in text and "score_sum 1.1" in text


def test_label_values_are_escaped():
    family = Family("requests_total", "Requests.", "counter", ("model",))
    family.counter('a"b\\c\nd').inc(3)
    assert 'requests_total{model="a\\"b\\\\c\\nd"} 3' in render([family]).decode()


def test_removed_children_disappear():
    family = Family("weight", "Weight.", "gauge", ("version",))
    family.gauge("1").set(100)
    family.gauge("2").set(0)
    family.remove("2")
    text = render([family]).decode()
    assert 'weight{version="1"} 100' in text and 'version="2"' not in text


def test_a_large_batch_is_counted_like_one_value_at_a_time():
    import numpy as np

    values = np.random.default_rng(3).normal(size=5000)
    values[[3, 30, 300]] = [np.nan, np.inf, -np.inf]
    values[[4, 40]] = [0.5, -1.0]  # on a bound: counted in that bucket, as bisect does
    one, many = (Family(n, "h", "histogram", (), (-1.0, 0.0, 0.5)) for n in ("one", "many"))
    one.histogram().observe_many(values.tolist())
    many.histogram().observe_array(values)
    a, b = one.histogram(), many.histogram()
    assert a.counts == b.counts and a.count == b.count == 4997
    assert abs(a.sum - b.sum) < 1e-9
