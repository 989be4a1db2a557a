"""The one catalogue of finding codes: a stable code, a slug, a default severity, zh/en templates.

Codes never change meaning. Templates use {name} placeholders, filled by plain substitution
(never str.format on data). Rule findings (C-codes) take their text from the rule in the form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xlcheck.findings import Finding
from xlcheck.form.model import Field, Form, Lang, Severity, Text


@dataclass(frozen=True)
class Code:
    code: str
    slug: str
    severity: Severity
    message: Text


def _c(code: str, slug: str, severity: Severity, zh: str, en: str) -> Code:
    return Code(code, slug, severity, Text(zh, en))


_ENTRIES = [
    # --- files that cannot be read at all -----------------------------------------------------
    _c("F01", "file_not_found", "error", "找不到文件「{file}」。", "File “{file}” not found."),
    _c(
        "F02",
        "not_a_workbook",
        "error",
        "「{file}」不是 Excel 工作簿（.xlsx），无法读取。请用 Excel 或 WPS 打开模板填写，保存为 .xlsx 后再报送。",
        "“{file}” is not an Excel workbook (.xlsx). Fill in the template in Excel or WPS and save it as .xlsx.",
    ),
    _c(
        "F03",
        "legacy_xls",
        "error",
        "「{file}」是旧版 Excel 97-2003（.xls）或 WPS（.et）格式，无法读取。请打开后「另存为」Excel 工作簿（*.xlsx）再报送。",
        "“{file}” is a legacy .xls/.et file. Open it and “Save as” Excel workbook (*.xlsx).",
    ),
    _c(
        "F04",
        "encrypted",
        "error",
        "「{file}」设置了打开密码，无法读取。请取消打开密码后重新保存，再报送。",
        "“{file}” is password-encrypted. Remove the open password, save, and send it again.",
    ),
    _c(
        "F05",
        "ods",
        "error",
        "「{file}」是 OpenDocument 表格（.ods）格式。请另存为 Excel 2007-365 工作簿（.xlsx）后报送。",
        "“{file}” is an OpenDocument spreadsheet (.ods). Save it as an Excel workbook (.xlsx).",
    ),
    _c(
        "F06",
        "corrupt",
        "error",
        "「{file}」已损坏或不完整（可能附件没有完整下载），无法读取。请重新保存后再发送。",
        "“{file}” is damaged or incomplete (perhaps a partial download). Save it again and resend.",
    ),
    _c(
        "F07",
        "too_large",
        "error",
        "「{file}」大小异常（{detail}），为安全起见没有读取。请使用下发的模板重新填写。",
        "“{file}” has an abnormal size ({detail}) and was not read, for safety. Use the issued template.",
    ),
    _c(
        "F08",
        "unsafe_xml",
        "error",
        "「{file}」含有不安全的内容（XML 实体声明），为安全起见没有读取。请使用下发的模板重新填写。",
        "“{file}” contains unsafe XML (entity declarations) and was not read. Use the issued template.",
    ),
    _c(
        "F09",
        "not_our_template",
        "error",
        "「{file}」不是本报表的填报模板（{detail}）。请使用下发的模板填写后报送。",
        "“{file}” is not this report's template ({detail}). Fill in the issued template.",
    ),
    _c(
        "F10",
        "unknown_template_version",
        "error",
        "「{file}」来自模板版本 {version}，本工具只认可版本 {expected}。请使用最新下发的模板重新填写。",
        "“{file}” comes from template version {version}; this tool accepts {expected}. Use the current template.",
    ),
    _c(
        "F11",
        "invalid_json",
        "error",
        "「{file}」不是有效的 JSON（第 {line} 行第 {column} 列：{detail}）。",
        "“{file}” is not valid JSON (line {line}, column {column}: {detail}).",
    ),
    _c(
        "F12",
        "timeout",
        "error",
        "读取「{file}」超时，已停止。请使用下发的模板重新填写。",
        "Reading “{file}” timed out. Use the issued template.",
    ),
    _c(
        "F13",
        "empty_file",
        "error",
        "「{file}」是空文件（0 字节）。请重新发送。",
        "“{file}” is empty (0 bytes). Send it again.",
    ),
    _c(
        "F14",
        "unsupported_type",
        "error",
        "「{file}」的格式（{detail}）不能直接检查。请报送填好的 .xlsx 模板。",
        "“{file}” ({detail}) cannot be checked directly. Send the filled .xlsx template.",
    ),
    _c(
        "F17",
        "not_regular_file",
        "error",
        "「{file}」不是普通文件（{detail}），没有读取。请报送文件本身。",
        "“{file}” is not a regular file ({detail}) and was not read. Send the file itself.",
    ),
    # --- structure of a returned workbook ----------------------------------------------------------
    _c(
        "S01",
        "sheet_missing",
        "error",
        "缺少工作表「{name}」。请不要删除或改名工作表，用下发的模板重新填写。",
        "Sheet “{name}” is missing. Do not delete or rename sheets; use the issued template.",
    ),
    _c(
        "S02",
        "sheet_added",
        "warning",
        "多了工作表「{name}」，其内容没有读取。",
        "Extra sheet “{name}” was ignored.",
    ),
    _c(
        "S03",
        "sheet_renamed",
        "warning",
        "工作表「{expected}」被改名为「{name}」，已按模板位置读取。请不要改动工作表名称。",
        "Sheet “{expected}” was renamed to “{name}”; it was read by position. Do not rename sheets.",
    ),
    _c(
        "S04",
        "formula_overwritten",
        "error",
        "{where}原是自动计算的公式，被改成了「{raw}」。请恢复公式（或用下发的模板重新填写）。",
        "{where} held a formula and was overwritten with “{raw}”. Restore the formula or refill the template.",
    ),
    _c(
        "S05",
        "formula_in_input",
        "error",
        "{where}应直接填写数字，不能填写公式（={formula}）。",
        "{where} must hold a number, not a formula (={formula}).",
    ),
    _c(
        "S06",
        "sheet_unprotected",
        "warning",
        "工作表「{name}」的保护被取消了。请不要取消保护，以免改动公式和标签。",
        "Protection of sheet “{name}” was removed. Keep it protected so formulas and labels stay intact.",
    ),
    _c(
        "S07",
        "workbook_unprotected",
        "warning",
        "工作簿结构保护被取消了。请不要增删或改名工作表。",
        "The workbook structure protection was removed. Do not add, delete or rename sheets.",
    ),
    _c(
        "S08",
        "external_link",
        "warning",
        "工作簿含有指向其他文件的外部链接（{detail}），已忽略。请删除外部链接后报送。",
        "The workbook links to other files ({detail}); ignored. Remove external links.",
    ),
    _c(
        "S09",
        "macros",
        "warning",
        "工作簿含有宏（VBA 代码），宏没有运行，已忽略。请另存为不含宏的 .xlsx 文件。",
        "The workbook contains macros (VBA); they were not run. Save as a macro-free .xlsx.",
    ),
    _c(
        "S10",
        "name_moved",
        "warning",
        "名称「{name}」指向 {actual}，与模板位置 {expected} 不一致，已按模板位置读取。",
        "Name “{name}” points to {actual}, not the template's {expected}; read from {expected}.",
    ),
    _c(
        "S11",
        "names_lost",
        "warning",
        "工作簿丢失了模板中的单元格名称（{count} 个），已按模板位置读取。",
        "The workbook lost {count} of the template's cell names; cells were read by position.",
    ),
    _c(
        "S12",
        "cached_total_mismatch",
        "warning",
        "{where}显示为 {cached}，按各项重新计算应为 {computed}（文件可能没有重新计算，或公式被改动）。",
        "{where} shows {cached}; recomputed from its parts it is {computed} (not recalculated, or formula changed).",
    ),
    _c(
        "S13",
        "content_outside_template",
        "warning",
        "工作表「{name}」在模板范围以外还有内容（{count} 个单元格），没有读取。",
        "Sheet “{name}” has content outside the template ({count} cells); it was not read.",
    ),
    _c(
        "S14",
        "layout_changed",
        "warning",
        "工作簿的布局指纹（{found}）与模板版本 {version} 的布局（{expected}）不一致：可能使用了改动过的模板。已按单元格名称读取，请核对各表。",
        "The workbook's layout fingerprint ({found}) differs from template version {version} ({expected}): the template may have been altered. Cells were read by name; please check the tables.",
    ),
    _c(
        "S15",
        "template_id_lost",
        "warning",
        "工作簿中没有找到模板标识（可能另存时丢失），已按工作表名称和位置读取。",
        "The template identification is missing (perhaps lost when saving); read by sheet names and positions.",
    ),
    _c(
        "S16",
        "table_shifted",
        "error",
        "{table}的内容整体{shift}（可能是被其他程序另存过），各单元格没有逐一检查。请把数据复制回原模板后再报送。",
        "The content of {table} moved {shift} as a whole (perhaps re-saved by another program); its cells were not checked one by one. Copy the data back into the original template and send it again.",
    ),
    _c(
        "S17",
        "control_characters",
        "warning",
        "{where}含有无法显示的控制字符（{chars}），Word 报告中略去了这些字符。请删除后重新保存。",
        "{where} contains control characters that cannot be shown ({chars}); the Word report leaves them out. Delete them and save again.",
    ),
    # --- explanations of warnings (the 核实说明 sheet, or `explanations` in JSON) --------------------
    _c(
        "S18",
        "explains_an_error",
        "warning",
        "{where}说明的规则 {rule_id} 是错误（不是提示），错误必须改正，不能以说明代替；这条说明没有采用。",
        "{where} explains rule {rule_id}, which is an error, not a warning: an error must be corrected and cannot be explained away; the explanation was not used.",
    ),
    _c(
        "S19",
        "explains_unknown_rule",
        "warning",
        "{where}填写的规则「{rule_id}」不是本报表的提示规则（如 {example}），这条说明没有采用。请从下拉列表选择规则编号。",
        "{where} names rule “{rule_id}”, which is not a warning rule of this report (such as {example}); the explanation was not used. Pick the rule from the drop-down list.",
    ),
    _c(
        "S20",
        "explanation_empty",
        "warning",
        "{where}填写了规则 {rule_id}，但没有写说明，这一行没有采用。请写明数字为什么是对的。",
        "{where} names rule {rule_id} but gives no explanation; the row was not used. Write why the figure is right.",
    ),
    _c(
        "S21",
        "explanation_place_unknown",
        "warning",
        "{where}填写的位置「{place}」不是本报表的单元格（应为 工作表名!单元格，或留空表示该规则的全部提示），这条说明没有采用。",
        "{where} gives the place “{place}”, which is no cell of this report (write sheet!cell, or leave it empty for every warning of the rule); the explanation was not used.",
    ),
    _c(
        "S22",
        "explanation_sheet_changed",
        "warning",
        "「核实说明」表的表头（{found}）与模板（{expected}）不一致，其中的说明没有读取。请在下发模板的「核实说明」表中填写。",
        "The headings of sheet “核实说明” ({found}) differ from the template's ({expected}); its explanations were not read. Fill in the sheet “核实说明” of the issued template.",
    ),
    # --- values ------------------------------------------------------------------------------------
    _c(
        "V01",
        "empty_cell",
        "error",
        "{where}没有填写。没有发生的事项请填 0。",
        "{where} is empty. Write 0 when nothing happened.",
    ),
    _c(
        "V02",
        "not_a_number",
        "error",
        "{where}填写的「{raw}」不是数字。没有发生的请填 0，不要填“无”“—”“/”。",
        "{where} holds “{raw}”, which is not a number. Write 0, not 无, — or /.",
    ),
    _c(
        "V03",
        "negative",
        "error",
        "{where}为 {value}，不能为负数。",
        "{where} is {value}; it cannot be negative.",
    ),
    _c(
        "V04",
        "not_integer",
        "error",
        "{where}为 {value}，件数应为整数。",
        "{where} is {value}; counts are whole numbers.",
    ),
    _c(
        "V05",
        "too_many_decimals",
        "error",
        "{where}为 {value}，以万元为单位最多保留 6 位小数（1 分 = 0.000001 万元）。",
        "{where} is {value}; amounts in 10,000 yuan have at most 6 decimals.",
    ),
    _c("V06", "required_text", "error", "{where}没有填写。", "{where} is empty."),
    _c(
        "V07",
        "bad_choice",
        "error",
        "{where}的「{raw}」不是可选项，请从下拉列表选择：{choices}。",
        "{where}: “{raw}” is not an option; choose one of: {choices}.",
    ),
    _c(
        "V08",
        "bad_year",
        "error",
        "{where}「{raw}」不正确，应为 4 位年份（如 2025）。",
        "{where} “{raw}” is not a valid year (e.g. 2025).",
    ),
    _c(
        "V09",
        "bad_credit_code",
        "error",
        "{where}「{raw}」格式不正确：应为 18 位数字或大写字母（不含 I、O、Z、S、V）。",
        "{where} “{raw}” is malformed: 18 digits or capital letters.",
    ),
    _c(
        "V10",
        "text_too_long",
        "error",
        "{where}超过 {limit} 个字。",
        "{where} exceeds {limit} characters.",
    ),
    _c(
        "V11",
        "year_out_of_range",
        "warning",
        "{where}为 {value}，请确认报告年度。",
        "{where} is {value}; please confirm the year.",
    ),
    _c(
        "V12",
        "number_typed_as_text",
        "warning",
        "{where}的「{raw}」是按文本填写的数字，已按 {value} 读取；表格中的合计和勾稽检查不会计算文本，请改为直接输入数字 {value}。",
        "{where}: “{raw}” was typed as text and read as {value}; the sheet's totals and checks ignore text, so type the number {value}.",
    ),
    _c(
        "V13",
        "out_of_range",
        "error",
        "{where}为 {value}，超出合理范围（{minimum}–{maximum}{unit}），请核实（是否多输了数字）。",
        "{where} is {value}, outside the plausible range {minimum}–{maximum}{unit}; check for extra digits.",
    ),
    # --- canonical JSON input --------------------------------------------------------------------
    _c("J01", "schema", "error", "{where}：{detail}", "{where}: {detail}"),
    _c(
        "J02",
        "unknown_key",
        "error",
        "「{pointer}」不是本报表的字段。",
        "“{pointer}” is not a field of this form.",
    ),
    _c(
        "J03",
        "wrong_form",
        "error",
        "文档的表单为「{value}」，不是「{expected}」。",
        "The document's form is “{value}”, not “{expected}”.",
    ),
    # --- cross-total rules: message text comes from the rule ---------------------------------------
    _c("C01", "sum_mismatch", "error", "", ""),
    _c("C02", "sums_unequal", "error", "", ""),
    _c("C03", "comparison_failed", "warning", "", ""),
    _c("C04", "must_be_zero", "error", "", ""),
    _c("C05", "text_missing_mention", "warning", "", ""),
    _c("C06", "prose_number_mismatch", "warning", "", ""),
    _c("C07", "text_empty", "warning", "", ""),
    _c("C08", "text_unchanged", "warning", "", ""),
    _c("C09", "legacy_label", "warning", "", ""),
    # --- audit of published reports (import) -----------------------------------------------------
    _c(
        "A01",
        "heading_missing",
        "warning",
        "缺少章节标题「{expected}」。",
        "Section heading “{expected}” is missing.",
    ),
    _c(
        "A02",
        "heading_order",
        "warning",
        "章节「{found}」的位置不对，应为第 {position} 部分。",
        "Section “{found}” is out of order; it should be part {position}.",
    ),
    _c(
        "A03",
        "heading_text",
        "warning",
        "章节标题「{found}」应写作「{expected}」。",
        "Section heading “{found}” should read “{expected}”.",
    ),
    _c(
        "A04",
        "subsection_numbering",
        "warning",
        "小标题「{found}」编号不规范，应写作「{expected}」。",
        "Subheading “{found}” is numbered irregularly; write “{expected}”.",
    ),
    _c(
        "A05",
        "topic_missing",
        "warning",
        "总体情况缺少「{expected}」部分。",
        "The overview lacks the topic “{expected}”.",
    ),
    _c(
        "A06",
        "value_unreadable",
        "error",
        "{where}无法读取（原文「{raw}」，位置：{place}）。",
        "{where} could not be read (source “{raw}”, at {place}).",
    ),
    _c("A07", "table_missing", "error", "没有找到{table}。", "{table} was not found."),
    _c("A08", "layout_defect", "warning", "{detail}", "{detail}"),
    _c(
        "A09",
        "printed_total_mismatch",
        "warning",
        "{where}印的是 {printed}，按各项计算应为 {computed}。",
        "{where} prints {printed}; its parts add up to {computed}.",
    ),
    _c(
        "A10",
        "amount_unit_missing",
        "error",
        "{where}：报告中只写了数字「{raw}」，单元格和表头都没有写单位（元或万元），无法确定金额，"
        "未读取；请写明单位（位置：{place}）。",
        "{where}: the report prints a bare number “{raw}” and neither the cell nor its header names "
        "a unit (yuan or 10,000 yuan), so the amount is unknown and was not read; write the unit "
        "(at {place}).",
    ),
    _c(
        "A40",
        "row_unplaced",
        "error",
        "{place}「{row}」一行有 {found} 个数字，表格有 {expected} 列，无法确定每个数字属于哪一列，"
        "整行未读取；请核对原文并按列填写。",
        "{place}: the row “{row}” shows {found} number(s) for {expected} column(s); which column "
        "each belongs to is not certain, so nothing of the row was read. Check the source.",
    ),
    _c(
        "A41",
        "split_number_joined",
        "warning",
        "{place}「{row}」一行的数字被拆在两行（「{head}」和「{tail}」），合并为 {joined} 后该行合计相符，"
        "已按 {joined} 读取；请核对原文。",
        "{place}: a number of the row “{row}” is split across two lines (“{head}” and “{tail}”); "
        "joined as {joined} the row's total holds, so it was read as {joined}. Check the source.",
    ),
    # PDF: what keeps a published PDF from being read (A50-A54 kept for PDF)
    _c(
        "A50",
        "pdf_no_text",
        "error",
        "「{file}」的 {pages} 页都没有文字层（扫描件或图片），无法读取其中的数字；本工具不做文字识别。"
        "请提供由 Word/WPS 直接导出的 PDF，或报告的 Word、网页版本。",
        "“{file}” has no text layer on any of its {pages} pages (a scan or pictures), so its "
        "figures cannot be read; there is no OCR. Send a PDF exported from Word/WPS, or the "
        "report as Word or a web page.",
    ),
    _c(
        "A51",
        "pdf_too_many_pages",
        "error",
        "「{file}」有 {pages} 页，超过已发布报告的上限 {limit} 页，未读取。",
        "“{file}” has {pages} pages, more than the {limit} a published report may have; not read.",
    ),
    _c(
        "A52",
        "pdf_encrypted",
        "error",
        "「{file}」是设置了打开密码的 PDF，无法读取。请取消密码后重新导出，再报送。",
        "“{file}” is a password-protected PDF and cannot be read. Export it again without a "
        "password and resend it.",
    ),
    # Prose of published reports: how the text was read (A55-A59)
    _c(
        "A55",
        "traditional_script",
        "warning",
        "报告为繁体字（{han} 个汉字中 {changed} 个是繁体），已先自动转换为简体再读取；"
        "文字部分按简体保存，请以原文核对。",
        "The report is in traditional script ({changed} of its {han} Han characters); it was "
        "converted to simplified with OpenCC before reading, and its texts are kept in "
        "simplified. Check against the source.",
    ),
]

CATALOGUE: dict[str, Code] = {entry.code: entry for entry in _ENTRIES}

# What fills a finding's {detail}, worded in each language from plain numbers and data (a raw
# technical text, such as an exception's, goes to the finding's values, not into its message).
DETAILS: dict[str, Text] = {
    "file_size": Text("{size} MB，上限为 {limit} MB", "{size} MB; the limit is {limit} MB"),
    "text_size": Text(
        "{size} MB，已发布报告的文本上限为 {limit} MB",
        "{size} MB; the limit for a published report's text is {limit} MB",
    ),
    "unpacked_size": Text(
        "解压后 {size} MB，上限为 {limit} MB", "{size} MB unpacked; the limit is {limit} MB"
    ),
    "too_many_items": Text(
        "超过 {limit} 个段落或表格行", "more than {limit} paragraphs or table rows"
    ),
    "too_large": Text("文件或其中的内容超出读取上限", "the file or its content exceeds the limits"),
    "zip_bomb": Text(
        "其中的压缩部件声明的解压后大小或压缩比超出上限",
        "a compressed part declares an unpacked size or compression ratio beyond the limits",
    ),
    "too_many_parts": Text("其中的部件数量超出上限", "it has more parts than allowed"),
    "memory": Text("读取时所需内存超过上限", "reading it needed more memory than allowed"),
    "no_template": Text(
        "没有模板的工作表，也没有模板标识",
        "none of the template's sheets, no template identification",
    ),
    "template_id": Text("模板标识为 {template_id}", "its template identification is {template_id}"),
    # Which form a submission was checked against, and why (form.detect.Picked.reason)
    "pick_forced": Text("按指定的表单：{form}", "the form asked for: {form}"),
    "pick_only": Text("唯一可用的表单：{form}", "the only form available: {form}"),
    "pick_template": Text(
        "按工作簿内的表单标识判定为{form}", "by its template identification: {form}"
    ),
    "pick_json": Text(
        "按文件写明的表单与版本判定为{form}",
        "by the document's form and form_version: {form}",
    ),
    "pick_sheet_label": Text(
        "工作簿没有表单标识，按{table}的标签「{label}」判定为{form}",
        "no template identification; by the label “{label}” of {table}: {form}",
    ),
    "pick_marker": Text(
        "按{table}的标签「{label}」判定为{form}",
        "by the label “{label}” of {table}: {form}",
    ),
    "pick_no_marker": Text(
        "未见其他格式的标志，按默认表单：{form}",
        "no marks of another format; the default form: {form}",
    ),
    "pick_unnamed": Text(
        "文件没有写明所属表单，按默认表单：{form}",
        "the document names no form; the default form: {form}",
    ),
    "pick_unknown": Text(
        "文件写明的表单「{declared}」不在可用表单中，按默认表单：{form}",
        "the document names the form “{declared}”, which is not available; the default form: {form}",
    ),
    "pick_unreadable": Text(
        "无法读取文件以判定表单，按默认表单：{form}",
        "the file could not be read to tell its form; the default form: {form}",
    ),
    # F17: what a path that is no regular file is
    "file_kind_fifo": Text("是命名管道", "a named pipe"),
    "file_kind_char_device": Text("是字符设备", "a character device"),
    "file_kind_block_device": Text("是块设备", "a block device"),
    "file_kind_socket": Text("是套接字", "a socket"),
    "file_kind_folder": Text("是文件夹", "a folder"),
    "file_kind_other": Text("不是普通文件", "not a regular file"),
    "json_syntax": Text("不符合 JSON 语法", "{message}"),
    "json_encoding": Text("不是 UTF-8 编码的文本", "not UTF-8 text"),
    "json_too_deep": Text("嵌套层数过多", "nested too deep"),
    "json_constant": Text("「{value}」不是 JSON 允许的数", "{value} is not a JSON number"),
    "json_value": Text("含有位数过多、无法读取的数", "{message}"),
    "json_too_large": Text("文件过大", "too large"),
    "json_not_object": Text("最外层不是对象（{…}）", "the top level is not an object ({…})"),
    "json_surrogate": Text(
        "「{value}」是半个 UTF-16 代理对，不是字符",
        "{value} is half of a UTF-16 pair, not a character",
    ),
    # A08: defects of a published report's layout ({place}: 第 42 行 / line 42)
    "zero_mark": Text(
        "{place}用「{marks}」表示没有发生，已读作 0；规范格式应填写 0。",
        "{place} writes “{marks}” for none; read as 0. The official format wants 0.",
    ),
    "section_six_nothing": Text(
        "「{section}」只写了「{text}」；通常应说明信息处理费的收取情况（国办函〔2020〕109号）。",
        "Section “{section}” says only “{text}”; it usually states whether information processing fees were charged.",
    ),
    "table_split": Text(
        "{table}被分成 {parts} 段（第二段从{place}开始），应为一个完整表格。",
        "{table} is split into {parts} parts (the second starts at {place}); it should be one table.",
    ),
    "total_beside_applicants": Text(
        "{table}表头（{place}）把「{total}」放在「{group}」旁边，应在其下方（与各类申请人并列）。",
        "{table} header ({place}) puts “{total}” beside “{group}” instead of under it.",
    ),
    "half_width_brackets": Text(
        "{table}标签使用了半角括号（如「(一)」，{place}），应为全角「（一）」。",
        "{table} labels use half-width brackets such as “(一)” ({place}); write “（一）”.",
    ),
    "blank_zero": Text(
        "{place}有 {count} 个空白单元格，合计核对无误，已读作 0；规范格式应填写 0。",
        "{place} leaves {count} cell(s) blank; the totals confirm them, so they were read as 0. "
        "The official format wants 0.",
    ),
    "shifted_left": Text(
        "{place}「{row}」一行的数字比同类行左移了 {columns} 列，已按标签读取。",
        "{place}: the row “{row}” is shifted {columns} column(s) left; read by its label.",
    ),
}
RULE_KIND_CODES: dict[str, str] = {
    "sum": "C01",
    "equal_sums": "C02",
    "compare": "C03",
    "zero_when": "C04",
    "text_mentions": "C05",
    "prose_number": "C06",
    "required_text": "C07",
    "text_differs": "C08",
    "legacy_labels": "C09",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def render(template: str, params: Mapping[str, Any]) -> str:
    """Fill {name} placeholders by plain substitution; unknown names stay visible as {name}."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return format_value(params[name]) if name in params else match.group(0)

    return _PLACEHOLDER.sub(replace, template)


def detail(name: str, **params: Any) -> Text:
    """A {detail} text from DETAILS, filled in each language (numbers, names: data only)."""
    text = DETAILS[name]
    zh = {k: v.zh if isinstance(v, Text) else v for k, v in params.items()}
    en = {k: v.en if isinstance(v, Text) else v for k, v in params.items()}
    return Text(render(text.zh, zh), render(text.en, en))


def size_mb(size: int) -> float:
    """Bytes as MB with one decimal, as a message shows them (5 MB, 12.3 MB)."""
    return round(size / 2**20, 1)


# Beyond 10^15 a float no longer holds every integer exactly, and nobody reads 16 digits: larger
# numbers are shown as Excel shows them (1E+308), never as a 309-digit integer.
_PLAIN_LIMIT = 10**15


def format_value(value: Any) -> str:
    """Numbers as people write them: 12, 0.5, 5949.088667 (no float noise, no trailing zeros)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value) if -_PLAIN_LIMIT < value < _PLAIN_LIMIT else _scientific(Decimal(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("∞" if value > 0 else "-∞")
        if abs(value) >= _PLAIN_LIMIT:
            return _scientific(Decimal(repr(value)))
        if value.is_integer():
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def _scientific(value: Decimal) -> str:
    """1E+308, 1.5E+20: six significant decimals at most (Decimal: no 4,300-digit limit)."""
    mantissa, exponent = f"{value:.6E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"


def where(form: Form, f: Field, lang: Lang) -> str:
    """How a message names a field: <表>「<行>」行「<列>」列 / Table 3, row “…”, column “…”."""
    table = form.sheet(f.sheet).short.get(lang)
    if f.row_label and f.col_label:
        row, col = f.row_label.get(lang), f.col_label.get(lang)
        if lang == "en":
            return f"{table}, row “{row}”, column “{col}”"
        return f"{table}「{row}」行「{col}」列"
    label = f.label.get(lang)
    return f"{table}, “{label}”" if lang == "en" else f"{table}「{label}」"


def make_finding(
    code: str,
    *,
    form: Form | None = None,
    key: str | None = None,
    severity: Severity | None = None,
    rule: str | None = None,
    values: Mapping[str, Any] | None = None,
    **params: Any,
) -> Finding:
    """A finding from the catalogue; with `key`, located at that field's sheet, cell and pointer."""
    entry = CATALOGUE[code]
    located: dict[str, Any] = {}
    zh_params = {k: v.zh if isinstance(v, Text) else v for k, v in params.items()}
    en_params = {k: v.en if isinstance(v, Text) else v for k, v in params.items()}
    if form is not None and key is not None and key in form.fields:
        f = form.fields[key]
        sheet = form.sheet(f.sheet)
        zh_params.setdefault("where", where(form, f, "zh"))
        en_params.setdefault("where", where(form, f, "en"))
        located = {
            "pointer": f.pointer,
            "sheet": sheet.name,
            "cell": f.cell,
            "table": sheet.short,
            "row_label": f.row_label,
            "col_label": f.col_label,
        }
    elif key is not None:
        located = {"pointer": "/" + key.replace(".", "/")}
        zh_params.setdefault("where", located["pointer"])
        en_params.setdefault("where", located["pointer"])
    message = Text(render(entry.message.zh, zh_params), render(entry.message.en, en_params))
    return Finding(
        code=code,
        severity=severity or entry.severity,
        message=message,
        rule=rule,
        instance=rule,
        values=dict(values or {}),
        **located,
    )
