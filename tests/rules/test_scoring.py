from rules.scoring import summarise


def test_average_and_trimmed_average() -> None:
    s = summarise([80, 95, 60, 85])
    assert (s.count, s.average, s.trimmed_average, s.highest, s.lowest) == (4, 80.0, 82.5, 95, 60)


def test_two_scores_have_no_trimmed_average_and_none_have_nothing() -> None:
    assert summarise([70, 90]).trimmed_average is None and summarise([70, 90]).average == 80.0
    assert summarise([]).average is None
