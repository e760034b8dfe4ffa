"""Export download links that only the asking session can know, and that end with its sign-in.

How Streamlit 1.67 serves an st.download_button file: with a callable `data=` (all exports here, see
`widgets.audited`) nothing exists until the click; the click runs the callable and stores the bytes in memory under
`/media/<id>`, where `id` is a fast, non-cryptographic hash (BLAKE2b-128) of bytes + mime type + file name. The
media route checks no session or cookie: whoever holds the URL gets the file until Streamlit drops it (after the
next two script runs of any session that finish, or never when nobody reruns). Two things here narrow that:
- `once(mime)`: the mime type gets a random parameter (`x-ydbq-nonce`, 128 bits, new at every render), so the
  id cannot be computed offline from predictable export content (a CSV of known figures); browsers ignore it.
- `drop_built_files()`: at 退出登录 this session's buttons are revoked and built files no session refers to are
  deleted at once, so a captured link stops working when its session signs out.
The documented nginx configuration additionally requires the session cookie for /media/ (docs/deploy)."""
from __future__ import annotations

import secrets

from streamlit import runtime

NONCE_PARAM = "x-ydbq-nonce"


def once(mime: str) -> str:
    """`mime` for an export st.download_button, with a fresh random parameter hashed into the file's link."""
    return f"{mime}; {NONCE_PARAM}={secrets.token_hex(16)}"


def drop_built_files() -> None:
    """Revoke this session's download buttons and delete built download files no session shows any more.

    Streamlit marks such a file at one cleanup and deletes it at the next; two cleanups now do what would otherwise
    wait for two script runs. Another session's just-built file may go too — exactly what its next two reruns
    would do; its user clicks again."""
    if not runtime.exists():
        return
    mgr = runtime.get_instance().media_file_mgr
    mgr.clear_session_refs()
    mgr.remove_orphaned_files()
    mgr.remove_orphaned_files()
