# Reference numbers for analyses/paired.py (paired t-test and Wilcoxon signed-rank test of the change from
# baseline). Run from the repository root:  Rscript tests/validation/r/paired_reference.R
# Needs base R only (stats, datasets). Writes paired_reference.json beside it.
# Cases: (1) Student's sleep data (R datasets::sleep; Cushny & Peebles 1905, analysed by Student 1908): extra sleep
# with drug 2 versus drug 1 in the same 10 patients (ties and zero differences: normal approximation);
# (2) the frozen wang2013 MRI TIE (synthetic_data/frozen/wang2013/adqs.csv, PARAMCD MRITIE), week 4 and week 20
# against baseline (31 pairs, no ties: exact signed-rank p).
out <- "tests/validation/r/paired_reference.json"
num <- function(v) ifelse(is.na(v), "null", formatC(v, digits = 15, format = "g"))
obj <- function(lst) {
  parts <- vapply(names(lst), function(k) {
    v <- lst[[k]]
    if (is.list(v)) s <- obj(v)
    else if (is.character(v)) s <- paste0('"', v, '"')
    else if (length(v) == 1) s <- num(v)
    else s <- paste0("[", paste(num(v), collapse = ", "), "]")
    paste0('"', k, '": ', s)
  }, "")
  paste0("{", paste(parts, collapse = ", "), "}")
}
paired <- function(post, base) {
  tt <- t.test(post, base, paired = TRUE, conf.level = 0.95)
  wt <- suppressWarnings(wilcox.test(post, base, paired = TRUE))
  d <- post - base
  list(post = post, base = base, n = length(d), mean = unname(tt$estimate), sd = sd(d),
       se = unname(tt$stderr), ci_lower = tt$conf.int[1], ci_upper = tt$conf.int[2], t = unname(tt$statistic),
       df = unname(tt$parameter), p_t = tt$p.value, v = unname(wt$statistic), p_w = wt$p.value,
       w_method = wt$method)
}
sleep_case <- paired(sleep$extra[sleep$group == 2], sleep$extra[sleep$group == 1])
adqs <- read.csv("synthetic_data/frozen/wang2013/adqs.csv", stringsAsFactors = FALSE)
tie <- adqs[adqs$PARAMCD == "MRITIE", ]
wide <- reshape(tie[, c("USUBJID", "AVISITN", "AVAL")], idvar = "USUBJID", timevar = "AVISITN",
                direction = "wide")
tie4 <- paired(wide$AVAL.4, wide$AVAL.0)
tie20 <- paired(wide$AVAL.20, wide$AVAL.0)
meta <- list(R = R.version.string)
writeLines(obj(list(meta = meta, sleep = sleep_case, tie_week4 = tie4, tie_week20 = tie20)), out)
