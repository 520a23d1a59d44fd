from hive_tui.backends.stops import StopScanner


def stream(scanner: StopScanner, pieces: list[str]) -> list[str]:
    out = [scanner.feed(p) for p in pieces]
    out.append(scanner.flush())
    return [o for o in out if o]


def test_no_stop_strings_passes_everything_through():
    s = StopScanner([])
    assert stream(s, ["Hel", "lo"]) == ["Hel", "lo"]
    assert s.text == "Hello" and not s.stopped


def test_stop_string_split_across_pieces_is_never_streamed():
    s = StopScanner(["END"])
    out = stream(s, ["The answer E", "N", "D and more"])
    assert "".join(out) == "The answer "
    assert s.stopped and s.text == "The answer "


def test_held_back_prefix_is_released_when_it_turns_out_not_to_be_a_stop():
    s = StopScanner(["\n\n"])
    assert s.feed("one\n") == "one"
    assert s.feed("two") == "\ntwo"
    assert s.flush() == ""
    assert s.text == "one\ntwo"


def test_earliest_of_several_stops_wins_and_flush_after_stop_is_empty():
    s = StopScanner(["b", "abc"])
    assert s.feed("xxabcd") == "xx"  # "abc" starts before "b"
    assert s.stopped and s.flush() == "" and s.feed("more") == ""


def test_prefix_held_at_end_of_generation_is_flushed():
    s = StopScanner(["STOP"])
    assert s.feed("go ST") == "go "
    assert s.flush() == "ST"
    assert s.text == "go ST"


def test_the_scanner_says_which_stop_string_ended_the_text():
    scanner = StopScanner(["END", "ENDING", "#"])
    assert scanner.matched is None
    scanner.feed("text then EN")
    assert scanner.matched is None  # held back: not yet known to be one
    scanner.feed("DING more")
    assert scanner.stopped and scanner.text == "text then "
    assert scanner.matched == "END"  # both start there: the shorter one ended it
