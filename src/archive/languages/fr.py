"""French."""

from . import Language


def finish(stem: str, folded: bool) -> str:
    if folded:  # unaccented, Snowball leaves some plural and feminine endings
        if len(stem) > 4 and stem.endswith("us"):  # detenus → detenu
            stem = stem[:-1]
        while len(stem) > 4 and stem.endswith("e"):  # condamnee → condamn
            stem = stem[:-1]
    return stem


LANGUAGE = Language(
    code="fr",
    script="latin",
    stopwords=(
        "au aux avec ce ces cet cette dans de des du elle elles en est et il ils la le les "
        "leur leurs lui ne ni ont où ou par pas pour qui que sa se ses son sont sur un une "
        # Elided articles left on their own (l’ État)
        "l d qu"
    ),
    snowball="french",
    finish=finish,
    elisions="l d j m n s t c qu jusqu lorsqu puisqu quoiqu",
    and_words="ET",
    or_words="OU",
    not_words="SAUF",
    range_words="À A AU",
    month_locales=("fr",),
    extra_months={"sept": 9},
    common_words=(
        "le la les des du de et est un une dans pour que qui sur par au aux avec ce cette ces ont "
        "sont été leur leurs nous il elle ils elles pas ne se son sa ses était aussi mais où "
        "très plus entre contre depuis selon"
    ),
)
