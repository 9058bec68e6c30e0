## make_correction_reference.R -- continuity corrections beyond RevMan's rule, computed with R/metafor.
##
## Run from the repository root:
##     Rscript validation/metafor/make_correction_reference.R
## Writes validation/metafor/correction_reference.json.
##
## metarmc.meta_binary(..., correction=) offers, beside RevMan's rule (0.5 to every cell of a
## study with a zero cell, checked in reference.json):
##   "all"  : 0.5 to every cell of every study    -> metafor add = 1/2, to = "all"
##   "tacc" : the treatment-arm correction of Sweeting, Sutton & Lambert (2004) for studies
##            with a zero cell: n1/N to both cells of the experimental arm, n2/N to both cells
##            of the control arm (R meta's incr = "TACC": incr.e = n.e/(n.e + n.c)).
##            metafor has no TACC option, so the corrected (non-integer) cells are built here
##            and given to escalc()/rma.mh() with add = 0.
## Studies with no events in both arms are dropped first (drop00), as RevMan does for OR/RR.
## Every case stores the R code that produced it ("call"), evaluated verbatim in an
## environment holding the input vectors.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
options(na.action = "na.pass")

args_all <- commandArgs(trailingOnly = FALSE)
script_path <- sub("^--file=", "", args_all[grep("^--file=", args_all)])
out_dir <- if (length(script_path) == 1L) dirname(normalizePath(script_path)) else "validation/metafor"
out_file <- file.path(out_dir, "correction_reference.json")

## The corrected cells: ai, bi, ci, di per study (double zeros removed).
CELLS <- list(
  all = paste(
    "keep <- !(events_t == 0 & events_c == 0)",
    "ai <- events_t[keep] + 1/2; bi <- total_t[keep] - events_t[keep] + 1/2",
    "ci <- events_c[keep] + 1/2; di <- total_c[keep] - events_c[keep] + 1/2",
    sep = "\n"),
  tacc = paste(
    "keep <- !(events_t == 0 & events_c == 0)",
    "a <- events_t[keep]; b <- total_t[keep] - a; c <- events_c[keep]; d <- total_c[keep] - c",
    "zero <- (a * b * c * d) == 0",
    "inc_t <- ifelse(zero, total_t[keep] / (total_t[keep] + total_c[keep]), 0)",
    "inc_c <- ifelse(zero, total_c[keep] / (total_t[keep] + total_c[keep]), 0)",
    "ai <- a + inc_t; bi <- b + inc_t; ci <- c + inc_c; di <- d + inc_c",
    sep = "\n"))

## Fits on those cells: M-H fixed (its Q is around the M-H estimate), IV fixed, IV random DL.
FITS <- list(
  MH_fixed = function(m) sprintf(paste(
    'es <- escalc(measure = "%s", ai = ai, bi = bi, ci = ci, di = di, add = 0, to = "none")',
    'res <- rma.mh(measure = "%s", ai = ai, bi = bi, ci = ci, di = di, add = c(0, 0), to = c("none", "none"))',
    sep = "\n"), m, m),
  IV_fixed = function(m) sprintf(paste(
    'es <- escalc(measure = "%s", ai = ai, bi = bi, ci = ci, di = di, add = 0, to = "none")',
    'res <- rma(yi, vi, data = es, method = "FE")', sep = "\n"), m),
  IV_random_DL = function(m) sprintf(paste(
    'es <- escalc(measure = "%s", ai = ai, bi = bi, ci = ci, di = di, add = 0, to = "none")',
    'res <- rma(yi, vi, data = es, method = "DL")', sep = "\n"), m))

OUT <- paste(
  "est <- as.numeric(res$beta); se <- res$se; ci_lb <- res$ci.lb; ci_ub <- res$ci.ub",
  "zval <- res$zval; pval <- res$pval; Q <- res$QE; tau2 <- if (is.null(res$tau2)) 0 else res$tau2",
  "yi <- es$yi; vi <- es$vi", sep = "\n")

DATASETS <- list(
  ## the constructed zero-cell data of reference.json: one double zero, one single zero
  zeros = list(study = c("Alpha 2001", "Beta 2003", "Gamma 2005", "Delta 2008", "Epsilon 2010"),
               events_t = c(12, 0, 0, 8, 25), total_t = c(100, 50, 40, 60, 200),
               events_c = c(20, 0, 5, 15, 31), total_c = c(100, 48, 42, 62, 198)),
  ## unbalanced arms, where the treatment-arm correction differs from 0.5 + 0.5
  unbalanced = list(study = c("A", "B", "C", "D"), events_t = c(0, 3, 5, 2), total_t = c(10, 20, 30, 40),
                    events_c = c(3, 4, 0, 6), total_c = c(30, 20, 10, 80)))

cases <- list()
for (dname in names(DATASETS)) {
  input <- DATASETS[[dname]]
  for (correction in names(CELLS)) for (fit in names(FITS)) for (measure in c("OR", "RR")) {
    call <- paste(CELLS[[correction]], FITS[[fit]](measure), OUT, sep = "\n")
    env <- list2env(input)
    eval(parse(text = call), envir = env)
    back <- function(x) exp(x)
    expected <- list(estimate = back(env$est), ci_low = back(env$ci_lb), ci_high = back(env$ci_ub),
                     se = env$se, z = env$zval, p = env$pval, q = env$Q, tau2 = env$tau2,
                     yi = as.numeric(env$yi), vi = as.numeric(env$vi),
                     studies = input$study[env$keep])
    parts <- strsplit(fit, "_")[[1]]
    cases[[length(cases) + 1]] <- list(
      id = paste(dname, correction, measure, fit, sep = "_"), dataset = dname, input = input, call = call,
      options = list(measure = measure, method = parts[1], model = parts[2],
                     tau2 = if (length(parts) > 2) parts[3] else NULL, correction = correction),
      expected = expected)
  }
}

out <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
            jsonlite_version = as.character(packageVersion("jsonlite")), generated = format(Sys.Date()),
            preamble = 'library(metafor); options(na.action = "na.pass")', cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), out_file)
cat("wrote", out_file, "with", length(cases), "cases\n")
