#!/usr/bin/perl
# t/logfmt.pl: reads filterd's log lines of one message ("...: QID: k=v
# k=v ...") on standard input and prints, for each, "qid QID" and then
# "KEY VALUE" a line, each value decoded (logfmt.h: bare, or quoted with
# \" \\ \xNN) and printed with every byte outside printable ASCII, and
# the backslash, as \xNN -- or "PARSE ERROR" for a line that is not
# exactly fields separated by one space.  For the tests' assertions: a
# field that a hostile value forged would show up as a key of its own.
use strict;
use warnings;

sub show {
	my ($v) = @_;
	$v =~ s/([^\x20-\x5b\x5d-\x7e])/sprintf("\\x%02x", ord($1))/ge;
	return $v;
}

sub decode {
	my ($q) = @_;
	my $v = '';
	while (length $q) {
		if ($q =~ s/^\\x([0-9a-f]{2})//) { $v .= chr(hex($1)); }
		elsif ($q =~ s/^\\(["\\])//) { $v .= $1; }
		elsif ($q =~ s/^([^"\\])//) { $v .= $1; }
		else { return undef; }
	}
	return $v;
}

my $value = qr/"(?:[^"\\]|\\["\\]|\\x[0-9a-f]{2})*"|[\x21\x23-\x3c\x3e-\x5b\x5d-\x7e]+/;
while (my $line = <STDIN>) {
	chomp $line;
	# The process's prefix, then the queue id (itself a logfmt value).
	unless ($line =~ s/^.*?\]: ($value): //) {
		print "PARSE ERROR\n";
		next;
	}
	my $qid = $1;
	$qid = decode(substr($qid, 1, -1)) if $qid =~ /^"/;
	print "qid ", show($qid), "\n";
	my @out;
	while ($line =~ s/^([a-z_]+)=($value)( |$)//) {
		my ($k, $v) = ($1, $2);
		$v = decode(substr($v, 1, -1)) if $v =~ /^"/;
		push @out, "$k " . show($v);
	}
	if ($line ne '') {
		print "PARSE ERROR\n";
		next;
	}
	print "$_\n" for @out;
}
