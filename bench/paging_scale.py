#!/usr/bin/python3
"""bench/paging_scale.py - what one page of a long list costs (issue 11 item 9).

Starts a daemon on a fresh data directory, stops it, writes N Service Catalog records and
N provisioned products straight into its catalogd.db (as the record job would leave them;
the API would take an hour to make 20,000), starts it again and times, as root:

  ListRecordHistory          the first page, page 52 of the walk, and one provisioned
                             product's records (SearchFilter provisionedproduct)
  ScanProvisionedProducts    the first page
  SearchProvisionedProducts  the first page at the Account level and at the default User
                             level (TotalResultsCount from the index), sorted by name (User)
                             and by status (Account, descending), and with a SearchQuery
                             (every row the level covers is read to count the hits)

each as the median of R calls in milliseconds, and the daemon's peak RSS (VmHWM) after.
Usage:

    bench/paging_scale.py                      # N=20000 R=20, build/catalogd
    N=100000 CATALOGD_BIN=/path/catalogd bench/paging_scale.py
"""

import json
import os
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "api"))
from conftest import ACCOUNT, Daemon  # noqa: E402

N = int(os.environ.get("N", "20000"))
R = int(os.environ.get("R", "20"))
ROOT_ARN = "arn:aws:iam::%s:root" % ACCOUNT


def fill(db_path):
    db = sqlite3.connect(db_path)
    seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM resources").fetchone()[0]
    t0 = 1_700_000_000_000
    rows = []
    for i in range(N):
        pp, rec = "pp-bench%08d" % i, "rec-bench%08d" % i
        created = t0 + i * 10
        ppb = {"Id": pp, "Name": "bench-%d" % i, "Arn": "arn:aws:servicecatalog:us-east-1:%s:stack/bench-%d/%s"
               % (ACCOUNT, i, pp), "Type": "CFN_STACK", "Status": "AVAILABLE", "CreatedTime": created / 1000,
               "ProductId": "prod-bench", "ProvisioningArtifactId": "pa-bench", "LastRecordId": rec,
               "IdempotencyToken": "tok-%d" % i, "_UserArn": ROOT_ARN}
        recb = {"RecordId": rec, "ProvisionedProductName": "bench-%d" % i, "Status": "SUCCEEDED",
                "CreatedTime": created / 1000, "UpdatedTime": created / 1000, "ProvisionedProductType": "CFN_STACK",
                "RecordType": "PROVISION_PRODUCT", "ProvisionedProductId": pp, "ProductId": "prod-bench",
                "ProvisioningArtifactId": "pa-bench", "PathId": "port-bench", "RecordErrors": [],
                "RecordTags": [], "_UserArn": ROOT_ARN}
        seq += 1
        rows.append((ACCOUNT, "sc.pp", pp, None, None, "AVAILABLE", created, created, json.dumps(ppb), seq))
        seq += 1
        rows.append((ACCOUNT, "sc.record", rec, None, pp, "SUCCEEDED", created, created, json.dumps(recb), seq))
    db.executemany("INSERT INTO resources (account, kind, id, name, parent, state, created_ms, updated_ms, body,"
                   " seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()


def median_ms(fn):
    times = []
    for _ in range(R):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    d = Daemon().start()
    d.stop()
    fill(os.path.join(d.data_dir, "catalogd.db"))
    t = time.perf_counter()
    d.start()  # writes the indexed keys of the filled rows first (res_keys_backfill)
    start_ms = (time.perf_counter() - t) * 1000
    try:
        sc = d.client("servicecatalog")
        mid = sc.list_record_history(PageSize=20)
        for _ in range(min(N // 40, 50)):  # page 51 (an offset token read it all each time)
            mid = sc.list_record_history(PageSize=20, PageToken=mid["NextPageToken"])
        token = mid["NextPageToken"]
        figures = {
            "ListRecordHistory first page": median_ms(lambda: sc.list_record_history(PageSize=20)),
            "ListRecordHistory page 52": median_ms(lambda: sc.list_record_history(PageSize=20, PageToken=token)),
            "ListRecordHistory one product": median_ms(lambda: sc.list_record_history(
                SearchFilter={"Key": "provisionedproduct", "Value": "pp-bench%08d" % (N // 2)})),
            "ScanProvisionedProducts first page": median_ms(lambda: sc.scan_provisioned_products(PageSize=20)),
            "SearchProvisionedProducts, Account": median_ms(lambda: sc.search_provisioned_products(
                AccessLevelFilter={"Key": "Account", "Value": "self"}, PageSize=20)),
            "SearchProvisionedProducts, User": median_ms(lambda: sc.search_provisioned_products(PageSize=20)),
            "SearchProvisionedProducts, User, name": median_ms(lambda: sc.search_provisioned_products(
                SortBy="name", PageSize=20)),
            "SearchProvisionedProducts, Account, status desc": median_ms(lambda: sc.search_provisioned_products(
                AccessLevelFilter={"Key": "Account", "Value": "self"}, SortBy="status", SortOrder="DESCENDING",
                PageSize=20)),
            "SearchProvisionedProducts, User, query": median_ms(lambda: sc.search_provisioned_products(
                Filters={"SearchQuery": ["bench-1999"]}, PageSize=20)),
        }
        print("N=%d records and provisioned products, median of %d calls" % (N, R))
        print("  %-48s %9.2f ms" % ("start-up after the fill (until ready)", start_ms))
        for k, v in figures.items():
            print("  %-48s %9.2f ms" % (k, v))
        print("  %-48s %9.1f MB" % ("peak RSS (VmHWM)", hwm_kb(d.proc.pid) / 1024))
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main()
