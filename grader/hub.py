"""The Hugging Face Hub, asked once: can this repository be downloaded? One request, one line.

Left to itself, the hub client retries a refused connection for about half a minute, and its
errors for a gated, private or unreachable repository run over several lines. ``require_access``
asks once (a HEAD request for one file of the repository, a short timeout, no retries) and turns
any refusal into one ``UserError`` naming the cause and the fix: accept the licence and log in,
renew the token, connect, or use a local copy. A repository that answers passes; the download
itself is left to the caller.
"""

from __future__ import annotations

from grader.errors import UserError, first_line

TIMEOUT_SECONDS = 10.0  # a reachable Hub answers a HEAD request in well under a second
LOGIN = "`hf auth login` or set HF_TOKEN"


def repo_url(repo_id: str, repo_type: str = "model") -> str:
    """The repository's page on the Hub this process talks to (HF_ENDPOINT)."""
    from huggingface_hub import constants

    return f"{constants.ENDPOINT}/{'datasets/' if repo_type == 'dataset' else ''}{repo_id}"


def require_access(repo_id: str, what: str, fix: str, *, repo_type: str = "model", filename: str = "config.json") -> None:
    """Raise one line when the Hub will not give ``repo_id`` (``what``: "the base model", ...).

    ``fix``: the way around it, ending every message (e.g. "or pass --base-model PATH to a local
    copy"). A repository that answers but lacks ``filename`` passes: it is reachable.
    """
    from huggingface_hub import constants, get_hf_file_metadata, get_token, hf_hub_url
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    name, page = f"{what} '{repo_id}'", repo_url(repo_id, repo_type)
    logged_in = get_token() is not None
    try:
        get_hf_file_metadata(hf_hub_url(repo_id, filename, repo_type=repo_type), timeout=TIMEOUT_SECONDS,
                             retry_on_errors=False)  # fmt: skip
        return
    except OfflineModeIsEnabled:
        cause = f"{name} is not in the local cache, and HF_HUB_OFFLINE=1 forbids downloading it: unset it where the Hub is reachable"
    except GatedRepoError:
        if logged_in:
            cause = f"{name} is gated and your Hugging Face account has no access to it yet: accept its licence at {page}"
        else:
            cause = f"{name} is gated: accept its licence at {page}, then log in ({LOGIN})"
    except RepositoryNotFoundError:
        if logged_in:
            cause = f"{name} is not on the Hub, or your Hugging Face account may not read it: check the name and {page}"
        else:
            cause = f"{name} is not on the Hub, or it is gated or private and you are not logged in ({LOGIN})"
    except EntryNotFoundError:
        return
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status == 401:
            cause = f"the Hub refused your Hugging Face token for {name}: log in again ({LOGIN}) with a valid token"
        else:
            cause = f"the Hub at {constants.ENDPOINT} answered {status or 'an error'} for {name} ({first_line(exc)})"
    except Exception as exc:  # no connection, DNS, TLS, timeout: the hub client's own exception types
        cause = f"cannot reach the Hugging Face Hub at {constants.ENDPOINT} for {name} ({first_line(exc)}): connect to the network"
    raise UserError(f"{cause}; {fix}")
