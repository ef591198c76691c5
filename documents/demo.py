"""The demo document types of the 2025-2026 campaign (called by ``seed_demo``)."""

from conservatoire.models import SchoolYear

from .models import SEPA_MANDATE_CODE, DocumentType, Scope

# code, name, help text, scope, rule
DEMO_TYPES = [
    (
        "attestation-qf",
        "Attestation de quotient familial 2025 (CAF)",
        "Pour les familles limonoises qui souhaitent le tarif au quotient familial : "
        "l’attestation CAF 2025 indiquant votre QF.",
        Scope.FAMILY,
        "resident_qf",
    ),
    (
        "justificatif-domicile",
        "Justificatif de domicile",
        "Facture d’énergie, d’eau, de téléphone ou avis d’imposition de moins de 3 mois, "
        "à une adresse de Limonest.",
        Scope.FAMILY,
        "resident",
    ),
    (
        SEPA_MANDATE_CODE,
        "Mandat de prélèvement SEPA signé",
        "Uniquement si vous payez par prélèvement et avez changé de banque depuis "
        "septembre 2024 : téléchargez le mandat, complétez-le, signez-le et renvoyez-le ici.",
        Scope.FAMILY,
        "direct_debit_bank_changed",
    ),
    (
        "rib",
        "Relevé d’identité bancaire (RIB)",
        "Uniquement si vous payez par prélèvement et avez changé de banque depuis septembre 2024.",
        Scope.FAMILY,
        "direct_debit_bank_changed",
    ),
    (
        "certificat-medical-danse",
        "Certificat médical de non contre-indication à la danse",
        "Pour chaque élève inscrit en danse : certificat de moins de 3 mois.",
        Scope.STUDENT,
        "dance_pupil",
    ),
]


def ensure_demo_document_types(school_year: SchoolYear) -> list[DocumentType]:
    """Create (once) the realistic document types for ``school_year``; idempotent."""
    types = []
    for order, (code, name, help_text, scope, rule) in enumerate(DEMO_TYPES, start=1):
        document_type, _created = DocumentType.objects.get_or_create(
            school_year=school_year,
            code=code,
            defaults={
                "name": name,
                "help_text": help_text,
                "scope": scope,
                "rule": rule,
                "order": order * 10,
                "active": True,
            },
        )
        types.append(document_type)
    return types
