#!/usr/bin/env python3
"""A Tributary worker in Python for the loan-application example and the
resize-images example (a map: one child task per file).

It speaks the worker protocol directly: SQS (boto3) for the hints, the HTTP
API (the standard library's urllib) for the claim, heartbeats and the result.
No Tributary SDK is needed; README.md beside this file explains each step.

Configuration (environment), each with a local-stack default:
  TRIBUTARY_URL          the API (default: apiUrl from .tributary/local.json)
  TRIBUTARY_QUEUE_URL    the SQS queue to read (default: queues.default from local.json)
  AWS_ENDPOINT_URL_SQS   SQS endpoint (default: sqsEndpoint from local.json; unset for real SQS)
  AWS_REGION             (default: region from local.json, else us-east-1)
  WORKER_ID              (default: python-<hostname>-<pid>)
  LOAN_WORK_SECONDS      how long each check "works" (default 0.3), to see heartbeats
  RESIZE_WORK_SECONDS    how long each thumbnail "works" (default 0.1)
  HEARTBEAT_EVERY        seconds between heartbeats (default: a third of the lease)

Run it next to `npm start`:  python3 examples/python-worker/worker.py
Stop it with Ctrl-C (or SIGTERM): it finishes the task in hand, then exits.
"""
import json
import os
import posixpath
import re
import signal
import socket
import sys
import threading
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import boto3

# Claim answers that mean "this message has nothing left to say": delete it.
# 404: the process, task or definition is gone. 409: someone else holds the
# lease (if they die, the sweeper sends a new message), the task already
# ended or is not yet schedulable, or the process ended.
DELETE_CODES = {
    "TaskAlreadyClaimed", "TaskNotActive", "ProcessNotRunning",
    "ProcessNotFound", "TaskNotFound", "DefinitionNotFound",
}
# Claim answers with details.notBefore: the task waits (a retry's backoff, or a task's
# concurrency or rate limit). Hide the message until then: no busy polling, and no
# waiting the whole visibility timeout.
POSTPONE_CODES = {"TaskNotActive", "ConcurrencyLimited", "RateLimited"}
# SQS's longest visibility timeout (12 h).
MAX_VISIBILITY_SECONDS = 43_200
# The task people complete through the API; no worker runs it.
MANUAL_TASKS = {"Open Loan Application"}
# A child of a map is the task `<map>[<index>]`, e.g. resize[41].
CHILD_TASK = re.compile(r"^(.+)\[(0|[1-9][0-9]*)\]$", re.DOTALL)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp")

stopping = threading.Event()


def log(event, **fields):
    """One JSON line per event on stderr, like the TypeScript worker."""
    print(json.dumps({"event": event, **fields}), file=sys.stderr, flush=True)


class ApiError(Exception):
    """An answer with the API's error body {"error": {"code", "message"}}."""

    def __init__(self, status, code, message, details=None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details

    def not_before(self):
        """When a refused claim may succeed (epoch seconds): a retry's backoff, or a task limit
        (ConcurrencyLimited, RateLimited); None otherwise."""
        if self.code not in POSTPONE_CODES or not isinstance(self.details, dict):
            return None
        at = self.details.get("notBefore")
        try:
            return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() if isinstance(at, str) else None
        except ValueError:
            return None


def find_local_state():
    """.tributary/local.json: $TRIBUTARY_HOME, or this directory or the nearest parent with one."""
    home = os.environ.get("TRIBUTARY_HOME")
    candidates = [os.path.join(home, "local.json")] if home else []
    directory = os.getcwd()
    while True:
        candidates.append(os.path.join(directory, ".tributary", "local.json"))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for path in candidates:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
    return {}


class Api:
    """The four worker routes of the HTTP API, over urllib."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")

    def _post(self, process_id, task, action, body):
        path = f"/processes/{urllib.parse.quote(process_id, safe='')}/tasks/{urllib.parse.quote(task, safe='')}/{action}"
        request = urllib.request.Request(
            self.base_url + path, data=json.dumps(body).encode("utf-8"), method="POST",
            headers={"content-type": "application/json", "accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read())["error"]
            except (ValueError, KeyError, TypeError):
                detail = {"code": "HttpError", "message": str(error)}
            raise ApiError(error.code, detail.get("code"), detail.get("message"), detail.get("details")) from None

    def claim(self, process_id, task, worker_id):
        return self._post(process_id, task, "claim", {"workerId": worker_id})

    def heartbeat(self, process_id, task, lease_token):
        return self._post(process_id, task, "heartbeat", {"leaseToken": lease_token})

    def complete(self, process_id, task, lease_token, output):
        return self._post(process_id, task, "complete", {"leaseToken": lease_token, "output": output})

    def fail(self, process_id, task, lease_token, message, code):
        return self._post(process_id, task, "fail", {"leaseToken": lease_token, "error": {"message": message, "code": code}})


class TaskFailed(Exception):
    """A handler's way to fail the task with a code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def work(seconds, lease_lost):
    """Stands in for a call to a credit bureau or an identity service."""
    if lease_lost.wait(seconds):
        raise TaskFailed("LeaseLost", "the lease was lost; giving up")


def map_of(message):
    """The map a message's task is a child of: its `map` field, else what its name spells (`resize[41]`); None for other tasks."""
    if message.get("map") is not None:
        return message["map"]
    match = CHILD_TASK.match(message["task"])
    return match.group(1) if match else None


def handle(message, claim, lease_lost):
    """Routes a claimed task to its handler: a child of the map `resize`, or a task by its name."""
    if map_of(message) == "resize":
        # The claim is the authority for the child's item and index; `upstream` is the map task's.
        return resize(claim["item"], claim["index"], lease_lost)
    if message["task"] == "report":
        return report(claim["input"].get("upstream") or {})
    return handle_loan(message["task"], claim["input"], lease_lost)


def resize(item, index, lease_lost):
    """One child of the map `resize`: a thumbnail for one file. A file that is not an image fails its child only."""
    if not isinstance(item, str) or not item.lower().endswith(IMAGE_EXTENSIONS):
        raise TaskFailed("NotAnImage", f"item {index} is not an image file: {item!r}")
    work(float(os.environ.get("RESIZE_WORK_SECONDS", "0.1")), lease_lost)
    stem, _ = posixpath.splitext(posixpath.basename(item))
    return {"file": item, "index": index, "thumbnail": f"thumbnails/{stem}-128.png"}


def report(upstream):
    """After the map: `upstream['resize']` is {total, completed, failed, results}, results in index order (None for a failed child)."""
    resized = upstream["resize"]
    summary = {"total": resized["total"], "completed": resized["completed"], "failed": resized["failed"]}
    if resized.get("resultsOmitted"):
        # Too many outputs for one message: they are read page by page, GET /processes/{id}/tasks?map=resize.
        return {**summary, "thumbnails": None}
    return {**summary, "thumbnails": [r["thumbnail"] for r in resized.get("results") or [] if r is not None]}


def handle_loan(task, task_input, lease_lost):
    """The loan application's handlers. `task_input` is {process, upstream}."""
    application = task_input.get("process") or {}
    upstream = task_input.get("upstream") or {}
    seconds = float(os.environ.get("LOAN_WORK_SECONDS", "0.3"))
    if task == "Review Credit":
        amount = upstream["Open Loan Application"]["amount"]
        work(seconds, lease_lost)
        return {"score": 712 if amount <= 2_000_000 else 580, "amount": amount}
    if task == "Check Identity":
        work(seconds, lease_lost)
        applicant = application.get("applicant", "")
        # The failure path: an applicant the identity service does not know.
        if "Mallory" in applicant:
            raise TaskFailed("IdentityNotVerified", f"could not verify the identity of {applicant}")
        return {"verified": True, "applicant": applicant}
    if task == "Decide":
        credit, identity = upstream["Review Credit"], upstream["Check Identity"]
        approved = identity["verified"] and credit["score"] >= 650
        return {"approved": approved, "rate": 0.049 if approved else None, "amount": credit["amount"]}
    raise TaskFailed("UnknownTask", f"this worker has no handler for '{task}'")


def seconds_until(iso_instant):
    instant = datetime.fromisoformat(iso_instant.replace("Z", "+00:00"))
    return (instant - datetime.now(timezone.utc)).total_seconds()


def run_task(api, worker_id, message_body, on_claimed):
    """Claim → delete the message → (handler while heartbeating) → complete or fail."""
    process_id, task = message_body["processId"], message_body["task"]
    claim = api.claim(process_id, task, worker_id)
    # The claim is the authority: the message has done its job. If this worker
    # now dies, the lease expires and the sweeper sends a new message.
    on_claimed()
    token = claim["leaseToken"]
    lease_lost = threading.Event()
    done = threading.Event()
    every = float(os.environ.get("HEARTBEAT_EVERY", "0")) or max(1.0, seconds_until(claim["leaseExpiresAt"]) / 3)

    def keep_lease():
        while not done.wait(every):
            try:
                api.heartbeat(process_id, task, token)
                log("heartbeat", processId=process_id, task=task)
            except ApiError as error:
                if error.status == 409 or error.status == 404:
                    # LeaseMismatch, TaskNotActive, ProcessNotRunning: the lease is gone.
                    log("lease-lost", processId=process_id, task=task, code=error.code)
                    lease_lost.set()
                    return
                log("heartbeat-failed", processId=process_id, task=task, code=error.code)
            except OSError as error:
                # A network error: try again at the next beat; the lease is still ours until it expires.
                log("heartbeat-failed", processId=process_id, task=task, error=str(error))

    keeper = threading.Thread(target=keep_lease, daemon=True)
    keeper.start()
    try:
        output = handle(message_body, claim, lease_lost)
        result = ("complete", output)
    except TaskFailed as error:
        result = ("fail", (str(error), error.code))
    except Exception as error:  # noqa: BLE001 - any handler error fails the task, with its class as code
        result = ("fail", (str(error), type(error).__name__))
    finally:
        done.set()
        keeper.join()
    if lease_lost.is_set():
        log("result-dropped", processId=process_id, task=task)
        return
    try:
        if result[0] == "complete":
            api.complete(process_id, task, token, result[1])
            log("completed", processId=process_id, task=task, attempt=claim["attempt"])
        else:
            api.fail(process_id, task, token, *result[1])
            log("failed", processId=process_id, task=task, code=result[1][1])
    except ApiError as error:
        # 409 LeaseMismatch: the lease expired and the task went to another worker; this result is dropped.
        log("result-refused", processId=process_id, task=task, code=error.code)


def main():
    state = find_local_state()
    api_url = os.environ.get("TRIBUTARY_URL") or state.get("apiUrl")
    queue_url = os.environ.get("TRIBUTARY_QUEUE_URL") or (state.get("queues") or {}).get("default")
    if not api_url or not queue_url:
        sys.exit("no local stack found (.tributary/local.json): run `npm start` first, or set TRIBUTARY_URL and TRIBUTARY_QUEUE_URL")
    region = os.environ.get("AWS_REGION") or state.get("region") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SQS") or state.get("sqsEndpoint")
    worker_id = os.environ.get("WORKER_ID") or f"python-{socket.gethostname()}-{os.getpid()}"
    sqs_options = {"region_name": region}
    if endpoint:
        sqs_options["endpoint_url"] = endpoint
        # The local emulator accepts any credentials; real ones come from the standard chain.
        sqs_options.setdefault("aws_access_key_id", os.environ.get("AWS_ACCESS_KEY_ID", "local"))
        sqs_options.setdefault("aws_secret_access_key", os.environ.get("AWS_SECRET_ACCESS_KEY", "local"))
    sqs = boto3.client("sqs", **sqs_options)
    api = Api(api_url)
    wait = int(os.environ.get("WAIT_TIME_SECONDS", "2"))

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    log("started", workerId=worker_id, queueUrl=queue_url, apiUrl=api_url)

    while not stopping.is_set():
        try:
            received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=wait, AttributeNames=["All"])
        except Exception as error:  # noqa: BLE001 - e.g. the local stack restarting: back off and retry
            log("receive-failed", error=str(error))
            stopping.wait(2)
            continue
        for message in received.get("Messages", []):
            receipt = message["ReceiptHandle"]
            try:
                body = json.loads(message["Body"])
                process_id, task = body["processId"], body["task"]
            except (ValueError, KeyError, TypeError):
                log("malformed-message", body=message.get("Body", "")[:200])
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
                continue
            if task in MANUAL_TASKS:
                # People complete it through the API; put back, it would cycle into the DLQ.
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
                continue
            try:
                run_task(api, worker_id, body, lambda: sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt))
            except ApiError as error:
                not_before = error.not_before()
                if not_before is not None:
                    seconds = min(MAX_VISIBILITY_SECONDS, max(0, math.ceil(not_before - time.time())))
                    log("postponed", processId=process_id, task=task, code=error.code, seconds=seconds)
                    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=seconds)
                elif error.code in DELETE_CODES:
                    log("not-ours", processId=process_id, task=task, code=error.code)
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
                else:
                    # 5xx, 429, ConcurrencyConflict: leave it; it comes back after the visibility timeout.
                    log("claim-failed", processId=process_id, task=task, code=error.code)
            except OSError as error:
                log("claim-failed", processId=process_id, task=task, error=str(error))
    log("stopped", workerId=worker_id)


if __name__ == "__main__":
    main()
