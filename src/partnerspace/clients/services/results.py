"""What a change to a client answers: the client, and the repairs made to what was typed."""

from dataclasses import dataclass, field

from partnerspace.clients.models import Client
from partnerspace.clients.validation import FieldWarning


@dataclass
class ClientResult:
    client: Client
    warnings: list[FieldWarning] = field(default_factory=list)
