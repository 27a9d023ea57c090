"""Sentinel failover (SPEC "Shared store": with redis_sentinels the primary
is found through Sentinel and a failover is followed without a restart).
A primary, a replica and three sentinels run as local processes on
loopback ports; two gateways find the primary through the sentinels. The
primary is killed (SIGKILL); within 30 s both gateways validate the old
sessions and accept new logins, with no gateway restarted."""

import subprocess
import time

import pytest

from conftest import (_PROCS, REDIS_BIN, REDIS_CLI, Gateway, RedisServer,
                      free_port, need_redis, wait_for)


class Sentinel:
    def __init__(self, dir_, port, primary_port):
        self.port = port
        self.conf = dir_ / ("sentinel-%d.conf" % port)
        self.conf.write_text(
            "port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n"
            "sentinel monitor mymaster 127.0.0.1 %d 2\n"
            "sentinel down-after-milliseconds mymaster 1000\n"
            "sentinel failover-timeout mymaster 5000\n"
            "sentinel parallel-syncs mymaster 1\n" % (
                port, dir_, dir_ / ("sentinel-%d.log" % port), primary_port))
        self.proc = subprocess.Popen([REDIS_BIN, str(self.conf), "--sentinel"],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _PROCS.append(self.proc)

    def primary(self):
        r = subprocess.run([REDIS_CLI, "-p", str(self.port), "SENTINEL",
                            "get-master-addr-by-name", "mymaster"],
                           capture_output=True, text=True, timeout=10)
        return r.stdout.split()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def cluster():
    need_redis()
    made, sentinels, gws = [], [], []
    try:
        p1, p2 = free_port(), free_port()
        primary = RedisServer(port=p1).start()
        made.append(primary)
        replica = RedisServer(port=p2, extra=["--replicaof", "127.0.0.1", str(p1)]).start()
        made.append(replica)
        wait_for(lambda: "master_link_status:up" in replica.cli("INFO", "replication"),
                 20, "the replica's link")
        for _ in range(3):
            sentinels.append(Sentinel(primary.dir, free_port(), p1))
        wait_for(lambda: all(s.primary()[-1:] == [str(p1)] for s in sentinels),
                 20, "the sentinels")
        addrs = ",".join("127.0.0.1:%d" % s.port for s in sentinels)
        store = {"redis_sentinels": addrs, "redis_master": "mymaster",
                 "redis_timeout_ms": 500}
        g1 = Gateway(redis=primary, overrides={"store": dict(store)})
        gws.append(g1)
        g1.start()
        g2 = Gateway(redis=primary, overrides={
            "store": dict(store), "server": {"secret_key_file": g1.key_path}})
        gws.append(g2)
        g2.start(setup=False)
        yield g1, g2, primary, replica, sentinels
    finally:
        for g in reversed(gws):
            g.close(failed=g.keep)
        for s in sentinels:
            s.close()
        for m in reversed(made):
            m.close(keep=any(g.keep for g in gws))


@pytest.mark.slow
def test_failover_followed_without_restart(cluster):
    g1, g2, primary, replica, sentinels = cluster
    old = [g1.login("alice"), g2.login("bob")]
    assert all(g.validate(t).status == 200 for g in (g1, g2) for t in old)
    # the sessions are on the replica before the primary dies
    assert int(primary.cli("WAIT", "1", "5000").strip()) >= 1

    t0 = time.monotonic()
    primary.kill()

    def ok():
        try:
            if any(g.validate(t).status != 200 for g in (g1, g2) for t in old):
                return False
            return all(g.login_response("carol").status == 200 for g in (g1, g2))
        except OSError:
            return False
    wait_for(ok, 30, "both gateways on the new primary")
    took = time.monotonic() - t0
    print("failover followed in %.1f s" % took)
    assert sentinels[0].primary()[-1:] == [str(replica.port)]
    assert "role:master" in replica.cli("INFO", "replication")
    assert g1.daemon.poll() is None and g2.daemon.poll() is None
    # new sessions live on the new primary and validate through both
    tok = g1.login("alice")
    assert g2.validate(tok).status == 200
