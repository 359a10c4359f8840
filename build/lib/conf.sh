# build/lib/conf.sh -- the configuration preambles the by-hand scripts
# (build/bench.sh, build/soak.sh, build/valgrind.sh) write for their own
# servers. Sourced; defines functions only, prints to stdout.

# ngx_head DIR CONNECTIONS: an nginx.conf up to the inside of its http
# block (left open): one worker, daemon, as nobody; pid, error log and
# temporary files under DIR (DIR/logs and DIR/tmp must exist).
ngx_head() {
    cat <<NGX
user nobody nogroup;
worker_processes 1;
daemon on;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections $2; }
http {
  client_body_temp_path $1/tmp/body; proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fcgi; uwsgi_temp_path $1/tmp/uwsgi; scgi_temp_path $1/tmp/scgi;
NGX
}

# httpd_head ROOT RUNDIR ERRORLOG MODULE...: the start of an httpd.conf:
# ServerRoot ROOT, PidFile ROOT/httpd.pid, DefaultRuntimeDir RUNDIR,
# ErrorLog ERRORLOG (LogLevel warn), one LoadModule line per MODULE, then
# User/Group nobody and ServerName localhost. A MODULE is a name of
# $MODDIR (mpm_event: LoadModule mpm_event_module $MODDIR/mod_mpm_event.so)
# or a whole "LoadModule name path" line; an empty one is left out.
httpd_head() {
    local root=$1 rundir=$2 errlog=$3 m
    shift 3
    printf 'ServerRoot %s\nPidFile %s/httpd.pid\nDefaultRuntimeDir %s\nErrorLog %s\nLogLevel warn\n' \
        "$root" "$root" "$rundir" "$errlog"
    for m in "$@"; do
        case $m in
            '') ;;
            LoadModule\ *) printf '%s\n' "$m" ;;
            *) printf 'LoadModule %s_module %s/mod_%s.so\n' "$m" "$MODDIR" "$m" ;;
        esac
    done
    printf 'User nobody\nGroup nogroup\nServerName localhost\n'
}
