# Reference numbers for analyses/cox.py (Cox model of a 0/1 treatment indicator) from R survival::coxph.
# Run from the repository root:  Rscript tests/validation/r/cox_reference.R
# Writes tests/validation/r/cox_reference.json. R is never a runtime or CI dependency: the JSON is committed
# next to this script. coxph.control() defaults throughout (eps 1e-9, iter.max 20, toler.inf sqrt(eps)).
# Each case stores its data (time, status, x; x = 1 is the group, 0 the comparator) and, per ties method:
# coef, se, hr and Wald 95% limits, Wald p, loglik (at 0 and at the stop), iter (R's counter: iter.max + 1
# when it ran out of iterations) and the warnings coxph gave.
suppressPackageStartupMessages(library(survival))
out_dir <- "tests/validation/r"

num <- function(v) ifelse(is.na(v), "null", ifelse(is.infinite(v), ifelse(v > 0, "Infinity", "-Infinity"),
                                                   trimws(formatC(v, digits = 15, format = "g"))))  # Python json reads Infinity
str <- function(v) if (length(v)) paste0('"', gsub('"', "'", v), '"') else character(0)
obj <- function(lst) {
  parts <- vapply(names(lst), function(k) {
    v <- lst[[k]]
    if (is.list(v)) s <- obj(v)
    else if (is.character(v)) s <- if (length(v) == 1 && !isTRUE(attr(v, "array"))) str(v)
                                   else paste0("[", paste(str(v), collapse = ", "), "]")
    else if (length(v) == 1 && !isTRUE(attr(v, "array"))) s <- num(v)
    else s <- paste0("[", paste(num(v), collapse = ", "), "]")
    paste0('"', k, '": ', s)
  }, "")
  paste0("{", paste(parts, collapse = ", "), "}")
}
arr <- function(v) structure(v, array = TRUE)

fit_case <- function(d, ties, init = 0, iter.max = 20) {
  caught <- character(0)
  f <- withCallingHandlers(coxph(Surv(time, status) ~ x, data = d, ties = ties, init = init,
                                 control = coxph.control(iter.max = iter.max)),
                           warning = function(w) { caught <<- c(caught, conditionMessage(w)); invokeRestart("muffleWarning") })
  sm <- summary(f)
  list(coef = unname(coef(f)), se = unname(sqrt(diag(vcov(f)))), hr = unname(exp(coef(f))),
       hr_lower = unname(sm$conf.int[, "lower .95"]), hr_upper = unname(sm$conf.int[, "upper .95"]),
       wald_p = unname(sm$coefficients[, "Pr(>|z|)"]), loglik = arr(f$loglik), iter = f$iter,
       warnings = arr(caught))
}

case <- function(d, note) {
  list(note = note, time = arr(d$time), status = arr(d$status), x = arr(d$x),
       efron = fit_case(d, "efron"), breslow = fit_case(d, "breslow"))
}

res <- list()
res$meta <- list(R = R.version.string, survival = as.character(packageVersion("survival")))
# (a) lung by sex: x = 1 for sex 2 (female), status recoded 1 = death
res$lung_sex <- case(data.frame(time = lung$time, status = lung$status - 1, x = as.integer(lung$sex == 2)),
                     "survival::lung, x = sex == 2")
# (b) aml: x = 1 for Maintained
res$aml <- case(data.frame(time = aml$time, status = aml$status, x = as.integer(aml$x == "Maintained")),
                "survival::aml, x = Maintained")
# (c) heavy ties: lung times grouped into 100-day blocks (11 distinct times, 165 deaths)
res$lung_ties <- case(data.frame(time = lung$time %/% 100 + 1, status = lung$status - 1,
                                 x = as.integer(lung$sex == 2)),
                      "survival::lung, time %/% 100 + 1, x = sex == 2")
# (d) near-monotone: one comparator event crosses into the group's events; coxph converges (9 iterations)
# where lifelines 0.30 CoxPHFitter diverges (coefficient about 936, 'high sample correlation' warning)
near <- data.frame(
  time = c(7, 8, 27, 13, 11, 9, 22, 21, 18, 5, 23, 13, 9, 26, 6, 27, 29, 29, 13, 6, 17, 14, 26, 19, 4, 2, 5),
  status = c(0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1),
  x = c(rep(1, 24), rep(0, 3)))
res$near_monotone <- case(near, "24 group (x = 1) and 3 comparator subjects; comparator events at 4 and 5")
# (e) monotone: no events in the group; coxph: 'Loglik converged before variable 1; coefficient may be infinite'
res$monotone_no_events <- case(data.frame(time = c(seq(2, 20, 2), seq(1, 19, 2)), status = rep(0:1, each = 10),
                                          x = rep(1:0, each = 10)),
                               "group (x = 1) censored at 2, 4, ..., 20; comparator events at 1, 3, ..., 19")
# (e') monotone by complete separation in time (coxphf's example): coxph runs out of iterations
res$monotone_separation <- case(data.frame(time = c(1, 2, 3), status = c(1, 1, 1), x = c(1, 1, 0)),
                                "coxphf help example: x = 1 events at 1, 2; x = 0 event at 3")
# step halving (the log-likelihood decreases after a Newton step) from a distant start, and a fit stopped
# by iter.max: aml with init = -6, 3, 6 (Efron), and lung with iter.max = 2 ('Ran out of iterations')
aml_d <- data.frame(time = aml$time, status = aml$status, x = as.integer(aml$x == "Maintained"))
res$aml_init <- list(init = arr(c(-6, 3, 6)), fits = lapply(c(-6, 3, 6), function(b) fit_case(aml_d, "efron", b)))
names(res$aml_init$fits) <- c("m6", "p3", "p6")
res$lung_iter2 <- fit_case(data.frame(time = lung$time, status = lung$status - 1, x = as.integer(lung$sex == 2)),
                           "efron", iter.max = 2)
writeLines(obj(res), file.path(out_dir, "cox_reference.json"))
