"""Concurrent wrong passwords for one username cannot get more guesses
than [login] max_failures allows.

The rule checked here is the current one: an attempt is counted before its
password check, so of 16 concurrent wrong guesses exactly max_failures (3)
reach argon2id and get 401, the other 13 get 429. When only failures
count (SPEC "Session rules", round two), the 401 count may exceed
max_failures by at most the number of concurrent password checks: change
the two counts below, nothing else."""
import threading

from conftest import Gateway


def test_concurrent_wrong_passwords_bounded_by_max_failures():
    g = Gateway(overrides={"login": {"max_failures": 3, "window": 300,
                                     "lockout": 300}}, threads=8).start()
    try:
        results = []
        lock = threading.Lock()

        def attempt():
            r = g.login_response("alice", password="wrong-password")
            with lock:
                results.append(r.status)

        threads = [threading.Thread(target=attempt) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 16, results
        assert results.count(401) == 3, results
        assert results.count(429) == 13, results
        # and the right password is refused too, until the lockout ends
        r = g.login_response("alice")
        assert r.status == 429 and r.header("Retry-After")
    finally:
        g.close()
