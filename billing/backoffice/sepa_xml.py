"""The SEPA direct-debit file (pain.008.001.08) of a recorded batch: built with sepaxml,
post-processed (the batch's message id and creation time, the amendment details
sepaxml does not write) and validated against the schema shipped with sepaxml."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

import sepaxml
from django.utils import timezone
from sepaxml import SepaDD

from ..conf import creditor
from ..models import CollectionBatch, DebitLine
from ..rules.sepa import same_bank

SEPA_SCHEMA = "pain.008.001.08"
SEPA_NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SEPA_SCHEMA}"
# "Same mandate, new debtor agent": the code of an amendment to another bank (EPC).
NEW_DEBTOR_AGENT = "SMNDA"


def batch_sepa_xml(batch: CollectionBatch, lines: Sequence[DebitLine]) -> bytes:
    """The SEPA direct-debit file (pain.008.001.08) of the batch's ``lines``, all collected
    on the batch's date, with its message id and creation time; validated against
    the schema (an invalid file raises and nothing is recorded)."""
    cred = creditor()
    config = {
        "name": cred.name,
        "IBAN": cred.iban,
        "BIC": cred.bic,
        "batch": True,
        "creditor_id": cred.ics,
        "currency": "EUR",
    }
    document = SepaDD(config, schema=batch.schema, clean=True)
    for line in lines:
        payment = {
            "name": line.holder,
            "IBAN": line.iban,
            "amount": int(line.amount * 100),
            "type": line.sequence_type,
            "collection_date": line.collection_date,
            "mandate_id": line.rum,
            "mandate_date": line.mandate_signed_on,
            "description": line.description,
            "endtoend_id": line.end_to_end_id,
        }
        if line.bic:
            payment["BIC"] = line.bic
        document.add_payment(payment)
    root = ElementTree.fromstring(document.export(validate=False))  # noqa: S314 (built above)
    header = root.find(_path("CstmrDrctDbtInitn", "GrpHdr"))
    header.find(_path("MsgId")).text = batch.message_id
    header.find(_path("CreDtTm")).text = timezone.localtime(batch.created_at).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    amended = {line.end_to_end_id: line for line in lines if line.original_rum}
    for transaction_node in root.iter(_tag("DrctDbtTxInf")):
        line = amended.get(transaction_node.findtext(_path("PmtId", "EndToEndId")))
        if line is not None:
            _add_amendment(transaction_node.find(_path("DrctDbtTx", "MndtRltdInf")), line)
    ElementTree.indent(root)
    # The default namespace, unprefixed, as sepaxml registers it (``default_namespace=``
    # refuses the unqualified ``Ccy`` attribute).
    ElementTree.register_namespace("", SEPA_NAMESPACE)
    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
        root, encoding="unicode"
    ).encode("utf-8")
    _xml_schema(batch.schema).validate(xml.decode("utf-8"))  # raises on any error
    return xml


@functools.cache
def _xml_schema(name: str):
    """The XSD shipped with sepaxml, compiled once per process."""
    import xmlschema  # imported late, as sepaxml does (it patches ElementTree)

    return xmlschema.XMLSchema(str(Path(sepaxml.__file__).parent / "schemas" / f"{name}.xsd"))


def _add_amendment(mandate_node: ElementTree.Element, line: DebitLine) -> None:
    """``<AmdmntInd>true</AmdmntInd>`` and what changed (sepaxml does not write them):
    the original RUM, and the original account within the same bank or ``SMNDA``
    for another bank (whose debit is then a FRST)."""
    position = list(mandate_node).index(mandate_node.find(_path("DtOfSgntr"))) + 1
    indicator = ElementTree.Element(_tag("AmdmntInd"))
    indicator.text = "true"
    details = ElementTree.Element(_tag("AmdmntInfDtls"))
    if line.original_rum != line.rum:
        ElementTree.SubElement(details, _tag("OrgnlMndtId")).text = line.original_rum
    if line.original_iban and same_bank(line.original_iban, line.iban):
        account = ElementTree.SubElement(details, _tag("OrgnlDbtrAcct"))
        identification = ElementTree.SubElement(account, _tag("Id"))
        ElementTree.SubElement(identification, _tag("IBAN")).text = line.original_iban
    elif line.original_iban != line.iban:
        agent = ElementTree.SubElement(details, _tag("OrgnlDbtrAgt"))
        institution = ElementTree.SubElement(agent, _tag("FinInstnId"))
        other = ElementTree.SubElement(institution, _tag("Othr"))
        ElementTree.SubElement(other, _tag("Id")).text = NEW_DEBTOR_AGENT
    mandate_node.insert(position, indicator)
    mandate_node.insert(position + 1, details)


def _tag(name: str) -> str:
    return f"{{{SEPA_NAMESPACE}}}{name}"


def _path(*names: str) -> str:
    return "/".join(_tag(name) for name in names)
