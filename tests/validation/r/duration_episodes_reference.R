# Reference numbers for tests/derive/test_episode_rules.py from R survival (Therneau).
# Run from the repository root:  Rscript tests/validation/r/duration_episodes_reference.R
# The durations below are the hand computation written out in the test's docstring (hand-made ADRESP of
# 8 responders; weeks = (end day - onset day) / 7), under the two rule sets of the test:
#   composite: cg-bm1's DURASAS20 episode (rescue, discontinuation, death, missed visit = loss of response)
#   censoring: discontinuation censored at the last response, missed visits and death ignored
# Writes tests/validation/r/duration_episodes_reference.json. R is never a runtime or CI dependency.
suppressPackageStartupMessages(library(survival))
out <- "tests/validation/r/duration_episodes_reference.json"
arm <- c(S1 = "A", S2 = "A", S3 = "A", S4 = "A", S5 = "B", S7 = "B", S8 = "B")
sets <- list(
  composite = list(time = c(S1 = 49, S2 = 140, S3 = 32, S4 = 21, S5 = 41, S7 = 43, S8 = 21) / 7,
                   status = c(S1 = 1, S2 = 0, S3 = 1, S4 = 1, S5 = 1, S7 = 1, S8 = 1)),
  censoring = list(time = c(S1 = 49, S2 = 140, S3 = 21, S4 = 77, S5 = 41, S7 = 28, S8 = 21) / 7,
                   status = c(S1 = 1, S2 = 0, S3 = 0, S4 = 1, S5 = 1, S7 = 0, S8 = 0)))
num <- function(v) ifelse(is.na(v), "null", trimws(formatC(v, digits = 15, format = "g")))
res <- c()
for (nm in names(sets)) {
  s <- sets[[nm]]
  fit <- survfit(Surv(s$time, s$status) ~ 1, conf.type = "log-log")
  q <- quantile(fit, probs = 0.5)
  sm <- summary(fit, times = c(4, 8, 12), extend = TRUE)
  lr <- survdiff(Surv(s$time, s$status) ~ arm[names(s$time)])
  res <- c(res, sprintf(paste0('"%s": {"n": %d, "events": %d, "median": %s, "median_lower": %s, "median_upper": %s, ',
                               '"times": [4, 8, 12], "surv": [%s], "surv_lower": [%s], "surv_upper": [%s], ',
                               '"logrank_chisq": %s}'),
                        nm, length(s$time), sum(s$status), num(q$quantile), num(q$lower), num(q$upper),
                        paste(num(sm$surv), collapse = ", "), paste(num(sm$lower), collapse = ", "),
                        paste(num(sm$upper), collapse = ", "), num(lr$chisq)))
}
writeLines(paste0("{", paste(res, collapse = ", "), ', "R": "', R.version.string, '", "survival": "',
                  as.character(packageVersion("survival")), '"}'), out)
