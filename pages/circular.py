"""月度通报 (domain.md §8): preview of the month's circular, Excel/Word downloads (audited), 印发 (市级督导/管理员),
issued circulars with re-download."""

from components import circular as ui, shell

ctx = shell.page("月度通报", "pages/circular.py")
if ctx:
    with shell.guard("月度通报"):
        shell.title("月度通报", ctx)
        c = ui.toolbar(ctx)
        ui.preview(c)
        ui.issued_table(ctx)
