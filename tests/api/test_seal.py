"""The sealing key shared by the nodes (docs/internals/seal.md): the key file is a ring, one
key a line, the first seals; the database records a check value sealed under it, so a node
given another catalogd's database (or a key file that lost the key its secrets are sealed
with) refuses to start with one line and changes nothing; --seal-key-file keeps the ring
outside the data directory; `catalogd seal rotate` re-seals every secret under the ring's
first key, after which the old key can be dropped and every secret still works."""

import base64
import hashlib
import os
import re
import shutil
import subprocess
import time

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conftest import BIN, POSTGRES, ROOT_SECRET, backend_env, pg_cluster, store_sql
from test_iam_mfa import STEP, totp
from test_startup_safety import one_line, serve, snapshot

SEALED = re.compile(r'"(v[12]:[^"]*)"')


def data_snapshot(data_dir):
    """snapshot() of everything in the data directory, the lock file too (a refused start
    leaves the pid of the last process that held the directory in it)."""
    return snapshot(data_dir)


def refused(data_dir, *args, must_name=()):
    """Asserts serve refuses on data_dir with one line naming must_name, changing none of
    its files; returns the line."""
    before = data_snapshot(data_dir)
    rc, err = serve(data_dir, *args)
    assert rc != 0, err
    line = one_line(err)
    for s in must_name:
        assert s in line, line
    assert data_snapshot(data_dir) == before
    return line


def ring(path):
    """The keys of a key file, first (current) first."""
    with open(path) as f:
        lines = [ln.strip() for ln in f]
    return [bytes.fromhex(ln) for ln in lines if ln and not ln.startswith("#")]


def key_id(key):
    return hashlib.sha256(key).hexdigest()[:8]


def write_ring(path, keys):
    with open(path, "w") as f:
        f.write("# test ring\n" + "".join(k.hex() + "\n" for k in keys))


def unseal(key, value):
    """Opens a "v2:<id>:" value with key (AES-256-GCM, nonce | ciphertext | tag)."""
    assert value.startswith("v2:%s:" % key_id(key)), value
    blob = base64.b64decode(value[12:])
    return AESGCM(key).decrypt(blob[:12], blob[12:], None)


def seal_v1(key, plain):
    """The "v1:" form every build before key rings wrote."""
    nonce = os.urandom(12)
    return "v1:" + base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plain, None)).decode()


def db_path(data_dir):
    return os.path.join(data_dir, "catalogd.db")


def sealed_values(data_dir):
    """Every sealed value of the database: access key secrets, the check value, and the
    sealed strings in resource bodies."""
    out = [r[0] for r in store_sql(data_dir, "SELECT secret FROM access_keys")]
    out += [r[0] for r in store_sql(data_dir, "SELECT value FROM meta WHERE key = 'seal_check'")]
    for (body,) in store_sql(data_dir, "SELECT body FROM resources"):
        out += SEALED.findall(body)
    return out


def rotate(data_dir, *args):
    env = dict(os.environ)
    env.update(backend_env(data_dir))
    return subprocess.run([BIN, "seal", "rotate", "--data-dir", data_dir] + list(args),
                          capture_output=True, text=True, timeout=60, env=env)


def store_state(data_dir):
    """What a refused start must leave as it was: the store's migrations, meta and access
    keys (and, on SQLite, the database file byte for byte)."""
    state = [store_sql(data_dir, "SELECT version FROM schema_migrations ORDER BY version"),
             store_sql(data_dir, "SELECT key, value FROM meta ORDER BY key"),
             store_sql(data_dir, "SELECT access_key_id, secret, status FROM access_keys"
                                 " ORDER BY access_key_id")]
    if not POSTGRES:
        with open(db_path(data_dir), "rb") as f:
            state.append(hashlib.sha256(f.read()).hexdigest())
    return state


def now_step():
    return int(time.time()) // STEP


@pytest.fixture
def tmp_dirs(tmp_path):
    return lambda name: str(tmp_path / name)


def node_key(data_dir):
    """Imports a new ssh private key as the node key 'default'; returns its PEM bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption())
    keyfile = os.path.join(data_dir, "..", os.path.basename(data_dir) + "-id_ed25519")
    with open(keyfile, "wb") as f:
        f.write(pem)
    try:
        p = subprocess.run([BIN, "node-key", "import", "--data-dir", data_dir, "--id", "default",
                            "--file", keyfile], capture_output=True, text=True, timeout=30)
    finally:
        os.unlink(keyfile)
    assert p.returncode == 0, p.stderr
    return pem


def mfa_user(iam, name):
    """A user with an access key and an enabled virtual MFA device: (key, secret, serial,
    seed)."""
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    iam.put_user_policy(UserName=name, PolicyName="sts", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}'))
    v = iam.create_virtual_mfa_device(VirtualMFADeviceName=name + "-mfa")["VirtualMFADevice"]
    serial, seed = v["SerialNumber"], v["Base32StringSeed"].decode()
    s = now_step()
    iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1=totp(seed, s - 1),
                          AuthenticationCode2=totp(seed, s))
    return k["AccessKeyId"], k["SecretAccessKey"], serial, seed


# ---- the key file and the check value ----------------------------------------------------------

def test_first_start_writes_a_ring_and_the_check_value(fresh_daemon):
    d = fresh_daemon()
    d.client("ssm").put_parameter(Name="/seal/first", Value="s3cret", Type="SecureString")
    keys = ring(os.path.join(d.data_dir, "master.key"))
    assert len(keys) == 1 and len(keys[0]) == 32
    assert oct(os.stat(os.path.join(d.data_dir, "master.key")).st_mode & 0o777) == "0o600"
    check = store_sql(d.data_dir, "SELECT value FROM meta WHERE key = 'seal_check'")[0][0]
    assert unseal(keys[0], check)
    values = sealed_values(d.data_dir)
    assert len(values) >= 3  # root secret, check value, the SecureString
    assert b"s3cret" in [unseal(keys[0], v) for v in values]


def test_another_catalogds_key_refused_and_nothing_changed(fresh_daemon):
    """Two clusters pointed at each other's databases: A's database with B's key file."""
    a, b = fresh_daemon(), fresh_daemon()
    a.client("iam").create_user(UserName="only-on-a")
    assert a.stop() == 0 and b.stop() == 0
    shutil.copy(os.path.join(b.data_dir, "master.key"), os.path.join(a.data_dir, "master.key"))
    before = store_state(a.data_dir)
    key = os.path.join(a.data_dir, "master.key")
    line = refused(a.data_dir, must_name=(key, "does not open this database's secrets",
                                          "another catalogd"))
    assert key_id(ring(os.path.join(a.data_dir, "master.key"))[0]) not in line
    assert store_state(a.data_dir) == before
    # B's database with B's key still starts; so does A's with A's key, put back
    b2 = fresh_daemon(data_dir=b.data_dir)
    assert b2.client("iam").list_users()["Users"] == []


def test_nodes_on_one_postgresql_database_share_the_key_file(fresh_daemon, tmp_dirs):
    """Two nodes (each its own data directory) on one PostgreSQL database with the same
    --seal-key-file: a secret one seals the other opens. A node of another cluster (its own
    key) pointed at that database refuses, naming its key file, and the database keeps its
    check value and keys. On PostgreSQL whatever the pass's backend."""
    pg = pg_cluster()
    db = "seal_" + os.urandom(6).hex()
    url = pg.url(pg.create_db(db))
    keyfile = tmp_dirs("cluster.key")
    write_ring(keyfile, [os.urandom(32)])
    try:
        args = ["--database-url", url, "--seal-key-file", keyfile]
        n1 = fresh_daemon(args=args)
        n2 = fresh_daemon(args=args)
        iam = n1.client("iam")
        iam.create_user(UserName="shared")
        k = iam.create_access_key(UserName="shared")["AccessKey"]
        n1.client("ssm").put_parameter(Name="/seal/shared", Value="both", Type="SecureString")
        sts2 = n2.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
        assert sts2.get_caller_identity()["Arn"].endswith(":user/shared")
        got = n2.client("ssm").get_parameter(Name="/seal/shared", WithDecryption=True)
        assert got["Parameter"]["Value"] == "both"
        state = "SELECT key, value FROM meta ORDER BY key; SELECT access_key_id, secret FROM" \
                " access_keys ORDER BY access_key_id"
        before = pg.sql(db, state)
        # another cluster's node: its own data directory and its own key
        other = tmp_dirs("other-node")
        os.mkdir(other)
        write_ring(os.path.join(other, "master.key"), [os.urandom(32)])
        line = refused(other, "--database-url", url,
                       must_name=(os.path.join(other, "master.key"),
                                  "does not open this database's secrets"))
        assert pg.sql(db, state) == before
        assert sts2.get_caller_identity()["Arn"].endswith(":user/shared")
        # and one with no key file at all
        bare = tmp_dirs("bare-node")
        refused(bare, "--database-url", url, must_name=(os.path.join(bare, "master.key"),
                                                        "missing"))
        assert pg.sql(db, state) == before and line
        assert n1.stop() == 0 and n2.stop() == 0
    finally:
        pg.drop_db(db, wait=False)


def test_database_from_before_check_values_gets_one(fresh_daemon):
    """An existing database without a check value: the key is proved on the root access
    key's secret, then the check value is written; a foreign key is refused the same way."""
    a, b = fresh_daemon(), fresh_daemon()
    assert a.stop() == 0 and b.stop() == 0
    for d in (a, b):
        store_sql(d.data_dir, "DELETE FROM meta WHERE key = 'seal_check'")
    a_key = os.path.join(a.data_dir, "master.key")
    saved = a_key + ".saved"
    shutil.copy(a_key, saved)
    shutil.copy(os.path.join(b.data_dir, "master.key"), a_key)
    refused(a.data_dir, must_name=(a_key, "does not open this database's secrets"))
    assert store_sql(a.data_dir, "SELECT key FROM meta WHERE key = 'seal_check'") == []
    os.replace(saved, a_key)
    a2 = fresh_daemon(data_dir=a.data_dir)
    assert a2.client("sts").get_caller_identity()["Account"]
    check = store_sql(a.data_dir, "SELECT value FROM meta WHERE key = 'seal_check'")[0][0]
    assert unseal(ring(a_key)[0], check)


def test_legacy_raw_key_and_v1_values_still_open(fresh_daemon):
    """A data directory of a build before key rings: master.key is the 32 raw bytes, secrets
    are "v1:", no check value. It starts, every secret works, and rotate moves it all to v2."""
    d = fresh_daemon()
    iam = d.client("iam")
    iam.create_user(UserName="legacy")
    k = iam.create_access_key(UserName="legacy")["AccessKey"]
    assert d.stop() == 0
    path = os.path.join(d.data_dir, "master.key")
    key = ring(path)[0]
    with open(path, "wb") as f:
        f.write(key)
    store_sql(d.data_dir, "DELETE FROM meta WHERE key = 'seal_check'")
    store_sql(d.data_dir, "UPDATE access_keys SET secret = ? WHERE access_key_id = ?",
              (seal_v1(key, k["SecretAccessKey"].encode()), k["AccessKeyId"]))
    store_sql(d.data_dir, "UPDATE access_keys SET secret = ? WHERE kind = 'root'",
              (seal_v1(key, ROOT_SECRET.encode()),))
    d2 = fresh_daemon(data_dir=d.data_dir)
    user = d2.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    assert user.get_caller_identity()["Arn"].endswith(":user/legacy")
    assert d2.client("sts").get_caller_identity()["Arn"].endswith(":root")
    p = rotate(d.data_dir)
    assert p.returncode == 0, p.stderr
    assert "2 access key secrets" in p.stdout and key_id(key) in p.stdout
    values = sealed_values(d.data_dir)
    assert values and all(v.startswith("v2:%s:" % key_id(key)) for v in values)
    assert user.get_caller_identity()["Arn"].endswith(":user/legacy")


def test_seal_key_file_outside_the_data_directory(fresh_daemon, tmp_dirs):
    keyfile = tmp_dirs("master.key")
    first = os.urandom(32)
    write_ring(keyfile, [first])
    os.chmod(keyfile, 0o600)
    d = fresh_daemon(args=["--seal-key-file", keyfile])
    iam = d.client("iam")
    iam.create_user(UserName="kf")
    k = iam.create_access_key(UserName="kf")["AccessKey"]
    assert d.stop() == 0
    assert not os.path.exists(os.path.join(d.data_dir, "master.key"))
    secret = store_sql(d.data_dir, "SELECT secret FROM access_keys WHERE access_key_id = ?",
                       (k["AccessKeyId"],))[0][0]
    assert unseal(first, secret) == k["SecretAccessKey"].encode()
    # the same file through the environment
    d2 = fresh_daemon(data_dir=d.data_dir, env={"CATALOGD_SEAL_KEY_FILE": keyfile})
    sts = d2.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"].endswith(":user/kf")
    assert d2.stop() == 0
    # without it, the data directory has no key: refused, naming the file it looked for
    line = refused(d.data_dir, must_name=(os.path.join(d.data_dir, "master.key"), "missing"))
    assert "--seal-key-file" not in line or "copy" in line
    # a damaged ring names the file and the line
    with open(keyfile, "a") as f:
        f.write("not-a-key\n")
    line = refused(d.data_dir, "--seal-key-file", keyfile, must_name=(keyfile, "line 3"))
    assert "damaged" in line


# ---- rotation ----------------------------------------------------------------------------------

def test_rotation_then_the_old_key_dropped(fresh_daemon):
    d = fresh_daemon()
    iam = d.client("iam")
    key, secret, serial, seed = mfa_user(iam, "rota")
    d.client("ssm").put_parameter(Name="/seal/rota", Value="before", Type="SecureString")
    assert d.stop() == 0
    pem = node_key(d.data_dir)
    path = os.path.join(d.data_dir, "master.key")
    old = ring(path)[0]
    new = os.urandom(32)
    write_ring(path, [new, old])  # step 1: the new key first on every node, restart

    d2 = fresh_daemon(data_dir=d.data_dir)
    d2.client("ssm").put_parameter(Name="/seal/rota2", Value="after", Type="SecureString")
    ids = {v.split(":")[1] for v in sealed_values(d.data_dir)}
    assert ids == {key_id(old), key_id(new)}
    # step 2: rotate once, the cluster running
    p = rotate(d.data_dir)
    assert p.returncode == 0, p.stderr
    assert re.search(r"2 access key secrets, [3-9] sealed values in bodies, 1 node key files",
                     p.stdout), p.stdout
    values = sealed_values(d.data_dir)
    assert values and {v.split(":")[1] for v in values} == {key_id(new)}
    with open(os.path.join(d.data_dir, "node-keys", "default.sealed")) as f:
        assert unseal(new, f.read()) == pem
    sts = d2.client("sts", key=key, secret=secret)
    assert sts.get_caller_identity()["Arn"].endswith(":user/rota")  # its cached secret
    assert d2.stop() == 0

    # step 3: the old key dropped, restart: every secret still works
    write_ring(path, [new])
    d3 = fresh_daemon(data_dir=d.data_dir)
    sts = d3.client("sts", key=key, secret=secret)
    assert sts.get_caller_identity()["Arn"].endswith(":user/rota")
    c = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, now_step() + 1))
    assert c["Credentials"]["SessionToken"]
    ssm = d3.client("ssm")
    got = ssm.get_parameters(Names=["/seal/rota", "/seal/rota2"], WithDecryption=True)
    assert sorted(x["Value"] for x in got["Parameters"]) == ["after", "before"]


def test_value_sealed_by_a_key_missing_from_the_ring_refuses_start(fresh_daemon):
    """The new key added, the old one dropped without `seal rotate`: the database's secrets
    are still sealed with the old key, so the node refuses, naming the key and the file."""
    d = fresh_daemon()
    d.client("iam").create_user(UserName="stays")
    assert d.stop() == 0
    path = os.path.join(d.data_dir, "master.key")
    old = ring(path)[0]
    new = os.urandom(32)
    write_ring(path, [new, old])
    d2 = fresh_daemon(data_dir=d.data_dir)
    assert d2.stop() == 0
    write_ring(path, [new])
    before = store_state(d.data_dir)
    line = refused(d.data_dir, must_name=(path, key_id(old), "seal rotate"))
    assert "does not open this database's secrets" in line
    assert store_state(d.data_dir) == before
    # rotate refuses too, and changes nothing
    snap = data_snapshot(d.data_dir)
    p = rotate(d.data_dir)
    assert p.returncode == 1 and key_id(old) in p.stderr and path in p.stderr
    assert len([ln for ln in p.stderr.splitlines() if ln.strip()]) == 1
    assert data_snapshot(d.data_dir) == snap and store_state(d.data_dir) == before


def test_rotate_without_a_database_creates_nothing(tmp_dirs):
    empty = tmp_dirs("nothing")
    os.mkdir(empty)
    p = rotate(empty)
    assert p.returncode == 1 and "holds no catalogd database" in p.stderr
    assert ("the database" if POSTGRES else empty) in p.stderr
    assert os.listdir(empty) == []
    if POSTGRES:  # and no schema made in the (empty) database named
        assert store_sql(empty, "SELECT to_regclass('schema_migrations') IS NULL") == [("t",)]
