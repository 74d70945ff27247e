from app.capture.lag import LagMonitor


def test_a_reader_that_keeps_up_has_no_lag():
    m = LagMonitor()
    lags = [m.update(10.0 + i / 15, 1000.0 + i * 1000 / 15) for i in range(150)]
    assert max(lags) < 0.01


def test_a_slow_reader_falls_behind_by_the_difference():
    m = LagMonitor()
    # 15 fps stream, but the reader only manages 10 frames a second
    lags = [m.update(10.0 + i / 10, 1000.0 + i * 1000 / 15) for i in range(101)]
    assert abs(lags[-1] - (10.0 - 100 / 15)) < 1e-6


def test_the_burst_after_connecting_does_not_count_as_lag():
    m = LagMonitor()
    # 45 buffered frames arrive in 0.3 s, then the stream runs live
    t = [10.0 + 0.3 * i / 45 for i in range(45)] + [10.3 + i / 15 for i in range(1, 60)]
    lags = [m.update(ti, 1000.0 + i * 1000 / 15) for i, ti in enumerate(t)]
    assert max(lags) < 0.05


def test_unusable_or_restarting_timestamps_reset_the_reference():
    m = LagMonitor()
    assert m.update(1.0, 0.0) == 0.0
    m.update(1.0, 5000.0)
    assert m.update(5.0, 6000.0) > 2.9
    assert m.update(6.0, 100.0) == 0.0  # the stream restarted
