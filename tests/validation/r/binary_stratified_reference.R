# Reference numbers for analyses/binary_stratified.py and analyses/multiplicity.py.
# Run from the repository root:  Rscript tests/validation/r/binary_stratified_reference.R
# Needs R (stats) and epiR (Debian r-cran-epir). Writes binary_stratified_reference.json beside it.
# The stratified Miettinen-Nurminen limits are an independent re-implementation written here
# (restricted MLE by numerical maximisation with optimize(), limits by uniroot()), not a package
# result: they cross-check the closed-form / Brent implementation in Python.
suppressPackageStartupMessages(library(epiR))
out <- "tests/validation/r/binary_stratified_reference.json"
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

restricted_mle <- function(x1, n1, x2, n2, delta) {
  # maximise the binomial log-likelihood over p2 with p1 = p2 + delta
  lo <- max(0, -delta); hi <- min(1, 1 - delta)
  ll <- function(p2) {
    p1 <- p2 + delta
    dbinom(x1, n1, p1, log = TRUE) + dbinom(x2, n2, p2, log = TRUE)
  }
  if (hi - lo < 1e-14) return(c(lo + delta, lo))
  p2 <- optimize(ll, c(lo, hi), maximum = TRUE, tol = 1e-14)$maximum
  c(p2 + delta, p2)
}
strat_mn <- function(x1, n1, x2, n2, level = 0.95) {
  w <- n1 * n2 / (n1 + n2)
  est <- sum(w * (x1 / n1 - x2 / n2)) / sum(w)
  score <- function(delta) {
    v <- 0
    for (h in seq_along(x1)) {
      p <- restricted_mle(x1[h], n1[h], x2[h], n2[h], delta)
      N <- n1[h] + n2[h]
      v <- v + w[h]^2 * (p[1] * (1 - p[1]) / n1[h] + p[2] * (1 - p[2]) / n2[h]) * N / (N - 1)
    }
    sum(w * (x1 / n1 - x2 / n2 - delta)) / sqrt(v)
  }
  z <- qnorm(1 - (1 - level) / 2)
  lower <- uniroot(function(d) score(d) - z, c(-1 + 1e-9, est), tol = 1e-12)$root
  upper <- uniroot(function(d) score(d) + z, c(est, 1 - 1e-9), tol = 1e-12)$root
  c(est, lower, upper)
}

cases <- list(
  three_strata = list(x1 = c(20, 12, 5), n1 = c(35, 22, 9), x2 = c(10, 8, 9), n2 = c(35, 22, 21)),
  with_zero_cells = list(x1 = c(7, 0, 4), n1 = c(10, 6, 8), x2 = c(2, 0, 1), n2 = c(9, 7, 8)),
  single_stratum = list(x1 = 56, n1 = 70, x2 = 48, n2 = 80)
)
res <- list(meta = list(R = R.version.string, epiR = as.character(packageVersion("epiR"))))
for (nm in names(cases)) {
  k <- cases[[nm]]
  K <- length(k$x1)
  dat <- array(0, dim = c(2, 2, K))
  for (h in 1:K) dat[, , h] <- matrix(c(k$x1[h], k$x2[h], k$n1[h] - k$x1[h], k$n2[h] - k$x2[h]), 2)
  ep <- epi.2by2(if (K > 1) dat else dat[, , 1], method = "cohort.count")$massoc.detail
  pooled <- apply(dat, c(1, 2), sum)
  # subject-level data for the logistic model
  y <- c(); trt <- c(); st <- c()
  for (h in 1:K) {
    y <- c(y, rep(1, k$x1[h]), rep(0, k$n1[h] - k$x1[h]), rep(1, k$x2[h]), rep(0, k$n2[h] - k$x2[h]))
    trt <- c(trt, rep(1, k$n1[h]), rep(0, k$n2[h]))
    st <- c(st, rep(h, k$n1[h] + k$n2[h]))
  }
  entry <- c(k, list(
    fisher_p = fisher.test(pooled)$p.value,
    crude_or = (pooled[1, 1] * pooled[2, 2]) / (pooled[1, 2] * pooled[2, 1]),
    crude_or_woolf_lower = (if (K > 1) ep$OR.crude.wald else ep$OR.strata.wald)$lower,
    crude_or_woolf_upper = (if (K > 1) ep$OR.crude.wald else ep$OR.strata.wald)$upper,
    mn_stratified = strat_mn(k$x1, k$n1, k$x2, k$n2)))
  if (K > 1) {
    keep <- sapply(1:K, function(h) sum(dat[1, , h]) > 0 && sum(dat[2, , h]) > 0 &&
                     sum(dat[, 1, h]) > 0 && sum(dat[, 2, h]) > 0)
    mh <- mantelhaen.test(dat[, , keep], correct = FALSE)
    informative <- sapply(1:K, function(h) { yy <- y[st == h]; min(yy) != max(yy) })
    sel <- st %in% which(informative)
    fit <- glm(y[sel] ~ trt[sel] + factor(st[sel]), family = binomial)
    entry <- c(entry, list(
      rd_mh_sato = 0.01 * unlist(ep$ARisk.mh.sato), rd_mh_green = 0.01 * unlist(ep$ARisk.mh.green),
      cmh_statistic = unname(mh$statistic), cmh_p = mh$p.value,
      logistic_or = unname(exp(coef(fit)[2])),
      logistic_or_lower = unname(exp(confint.default(fit)[2, 1])),
      logistic_or_upper = unname(exp(confint.default(fit)[2, 2])),
      logistic_p = unname(summary(fit)$coefficients[2, 4])))
  }
  res[[nm]] <- entry
}
p <- c(0.01, 0.04, 0.03, 0.005, 0.2)
res$p_adjust <- list(p = p, bonferroni = p.adjust(p, "bonferroni"), holm = p.adjust(p, "holm"),
                     hochberg = p.adjust(p, "hochberg"))
writeLines(obj(res), out)
